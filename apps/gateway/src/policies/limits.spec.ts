import { buildSchema, parse, print } from 'graphql';
import { checkVariableCost, inlinePageVariables } from './limits';

const schema = buildSchema(`
  type Desk { id: ID! label: String floor: Floor }
  type Floor { id: ID! name: String }
  type DeskConnection { nodes: [Desk!]! }
  type Query { desks(first: Int, last: Int): DeskConnection }
`);
const LIST = 'query Q($n: Int) { desks(first: $n) { nodes { id label floor { name } } } }';

describe('cost with page sizes from variables', () => {
  it('prices first: $n like first: <its value>, and refuses what the literal would be refused for', () => {
    const literal = checkVariableCost(schema, parse('{ desks(first: 100) { nodes { id label floor { name } } } }'), {}, 200);
    expect(literal).toBeNull(); // literals are armor's own job; this check adds nothing then
    const error = checkVariableCost(schema, parse(LIST), { n: 100 }, 200);
    expect(error?.message).toMatch(/^Query Cost limit of 200 exceeded, found [\d.]+\. \(page sizes from variables included\)$/);
    expect(error?.extensions).toEqual({ limitCode: 'MAX_COST_EXCEEDED', http: { status: 400 } });
    expect(checkVariableCost(schema, parse(LIST), { n: 2 }, 200)).toBeNull();
  });

  it('uses the variable default when the request leaves the variable out, and last like first', () => {
    const withDefault = parse('query Q($n: Int = 100) { desks(last: $n) { nodes { id label floor { name } } } }');
    expect(checkVariableCost(schema, withDefault, {}, 200)).not.toBeNull();
    expect(checkVariableCost(schema, withDefault, { n: 1 }, 200)).toBeNull();
  });

  it('inlines only first/last variables with integer values, and returns the same document when there is none', () => {
    const document = parse(LIST);
    expect(inlinePageVariables(document, {})).toBe(document);
    expect(inlinePageVariables(document, { n: 'lots' })).toBe(document);
    expect(print(inlinePageVariables(document, { n: 7 }))).toContain('desks(first: 7)');
  });
});
