import { join } from 'node:path';
import ts from 'typescript';

/**
 * The resolver map is checked against the SDL by the types generated from it: these
 * fixtures are typechecked with the app's own tsconfig, beside the real generated types.
 */
const SRC = __dirname;

const FIXTURES: Record<string, string> = {
  valid: `
    import type { Resolvers } from './generated/resolver-types';
    export const r: Resolvers = {
      Query: { building: (_, args, ctx) => (args.id && ctx.auth.tenantId ? { id: args.id } : null) },
      DeskBooking: { enriched: (b) => b['enriched'] === true },
      BookingStatus: { BOOKED: 'booked', CHECKED_IN: 'checked_in', CANCELLED: 'cancelled', NO_SHOW: 'no_show', COMPLETED: 'completed' },
    };`,
  unknownField: `
    import type { Resolvers } from './generated/resolver-types';
    export const r: Resolvers = { DeskBooking: { isEnriched: () => true } };`,
  wrongArgumentType: `
    import type { Resolvers } from './generated/resolver-types';
    export const r: Resolvers = { Query: { building: (_: unknown, args: { id: number }) => (args.id > 0 ? null : null) } };`,
  wrongResult: `
    import type { Resolvers } from './generated/resolver-types';
    export const r: Resolvers = { Query: { buildings: () => ({ nodes: [] }) } };`,
  wrongEnumValue: `
    import type { Resolvers } from './generated/resolver-types';
    export const r: Resolvers = {
      BookingStatus: { BOOKED: 'BOOKED', CHECKED_IN: 'checked_in', CANCELLED: 'cancelled', NO_SHOW: 'no_show', COMPLETED: 'completed' },
    };`,
};

function typecheck(): Record<string, string[]> {
  const configPath = join(SRC, '..', 'tsconfig.app.json');
  const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (!config) throw new Error(`cannot read ${configPath}`);
  const files = Object.fromEntries(Object.entries(FIXTURES).map(([name, text]) => [join(SRC, `fixture-${name}.ts`), text]));
  const host = ts.createCompilerHost(config.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    files[name] !== undefined ? ts.createSourceFile(name, files[name] as string, language) : getSourceFile(name, language, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => files[name] !== undefined || fileExists(name);
  const program = ts.createProgram({ rootNames: Object.keys(files), options: { ...config.options, noEmit: true }, host });
  return Object.fromEntries(
    Object.entries(FIXTURES).map(([name]) => {
      const file = program.getSourceFile(join(SRC, `fixture-${name}.ts`));
      return [name, ts.getPreEmitDiagnostics(program, file).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '))];
    }),
  );
}

describe('resolver types generated from the SDL', () => {
  let errors: Record<string, string[]>;
  beforeAll(() => {
    errors = typecheck();
  }, 120_000);

  it('accept a resolver map that matches the schema', () => {
    expect(errors['valid']).toEqual([]);
  });

  it.each([
    ['a resolver for a field the SDL does not have', 'unknownField', /isEnriched/],
    ['an argument of the wrong type', 'wrongArgumentType', /number/],
    ['a result that is not the field type', 'wrongResult', /BuildingConnection|edges|pageInfo/],
    ['an enum value other than the internal one', 'wrongEnumValue', /"BOOKED"/],
  ])('refuse %s', (_, fixture, message) => {
    expect(errors[fixture]?.join('\n')).toMatch(message);
  });
});
