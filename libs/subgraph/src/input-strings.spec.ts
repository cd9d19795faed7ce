import { parse } from 'graphql';
import { inputStringsPlugin, loneSurrogateIn } from './input-strings';

describe('lone surrogates in the input', () => {
  it('finds one anywhere in the variables and names where, and accepts paired surrogates', () => {
    expect(loneSurrogateIn({ id: 'dsk-1', filter: { ids: ['ok', 'x\ud800'] } })).toBe('variables.filter.ids[1]');
    expect(loneSurrogateIn({ id: '\udc00tail' })).toBe('variables.id');
    expect(loneSurrogateIn({ name: 'emoji 😀', nested: [{ deep: ['é'] }] })).toBeNull();
  });

  it('refuses an operation with one in a variable as BAD_USER_INPUT with status 400', async () => {
    const hooks = await inputStringsPlugin().requestDidStart?.({} as never);
    const resolve = (variables: Record<string, unknown>, query: string) =>
      hooks?.didResolveOperation?.({ request: { variables }, document: parse(query) } as never);
    await expect(resolve({ id: '\ud800' }, 'query($id: ID!) { desk(id: $id) { id } }')).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
    });
    await expect(resolve({ id: 'dsk-😀' }, 'query($id: ID!) { desk(id: $id) { id } }')).resolves.toBeUndefined();
  });
});
