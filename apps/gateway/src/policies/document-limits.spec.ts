import { buildSchema, Kind, parse, type OperationDefinitionNode } from 'graphql';
import { crossedLimit, DEFAULT_PAGE_SIZE, measureOperation, type DocumentLimits } from './document-limits';

const schema = buildSchema(`
  type Desk { id: ID! label: String floor: Floor }
  type Floor { id: ID! name: String desks(first: Int): DeskConnection }
  type DeskConnection { nodes: [Desk!]! }
  type Query { desk(id: ID!): Desk desks(first: Int, last: Int): DeskConnection building(id: ID!): Floor }
`);

const measure = (query: string, variables: Record<string, unknown> = {}, operationName?: string) => {
  const document = parse(query);
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName),
  ) as OperationDefinitionNode;
  return measureOperation(schema, document, operation, variables);
};
const roots = (n: number) => Array.from({ length: n }, (_, i) => `r${i}: desk(id: "${i}") { id }`).join(' ');
const LIMITS: DocumentLimits = { maxDepth: 6, maxAliases: 5, maxRootFields: 4, maxDirectives: 3, maxCost: 300 };

describe('root fields', () => {
  it('counts fields written at the root, not __typename', () => {
    expect(measure('{ desk(id: "1") { id } desks { nodes { id } } __typename }').rootFields).toBe(2);
  });

  it('counts through nested inline fragments on Query, as many levels deep as they go', () => {
    expect(measure(`{ ... on Query { ... on Query { ... on Query { ${roots(18)} } } } }`).rootFields).toBe(18);
  });

  it('counts through a fragment that spreads another fragment, and each spread of it', () => {
    const query = `{ ...A ...A } fragment A on Query { ...B ... on Query { ...B } } fragment B on Query { ${roots(3)} }`;
    expect(measure(query).rootFields).toBe(12);
  });

  it('counts a fragment cycle as empty instead of looping (graphql-js refuses the document anyway)', () => {
    expect(measure(`{ ...A } fragment A on Query { ${roots(2)} ...B } fragment B on Query { ...A }`).rootFields).toBe(2);
  });
});

describe('depth', () => {
  it('is the longest chain of fields with fragments expanded in place, not counted as levels', () => {
    expect(measure('{ desk(id: "1") { floor { name } } }').depth).toBe(3);
    const viaFragments =
      '{ desk(id: "1") { ...F } } fragment F on Desk { ... on Desk { floor { ...G } } } fragment G on Floor { desks { nodes { id } } }';
    expect(measure(viaFragments).depth).toBe(5);
  });

  it('leaves introspection out', () => {
    expect(measure('{ __schema { types { fields { type { ofType { ofType { name } } } } } } }').depth).toBe(0);
  });
});

describe('aliases and directives', () => {
  it('counts aliases of __typename, and aliases inside fragments once per spread', () => {
    expect(measure('{ a: __typename b: __typename c: __typename }').aliases).toBe(3);
    expect(measure('{ ...F ...F ...F } fragment F on Query { x: __typename y: desk(id: "1") { id } }').aliases).toBe(6);
  });

  it('counts the directives on every spread of a fragment, not only the first', () => {
    const query =
      '{ ...F @include(if: true) ...F @include(if: true) ...F @skip(if: false) } fragment F on Query { desk(id: "1") @include(if: true) { id } }';
    expect(measure(query).directives).toBe(6);
  });
});

describe('cost', () => {
  const LIST = '{ desks { nodes { id label floor { name } } } }';

  it('prices a list without first at the default page, like first: <default page>', () => {
    const implicit = measure(LIST).cost;
    expect(implicit).toBe(measure(`{ desks(first: ${DEFAULT_PAGE_SIZE}) { nodes { id label floor { name } } } }`).cost);
    expect(implicit).toBeGreaterThan(measure('{ desks(first: 1) { nodes { id label floor { name } } } }').cost * (DEFAULT_PAGE_SIZE - 1));
  });

  it('takes first from a variable, its default, and the default page when it is null or left out', () => {
    const query = 'query Q($n: Int) { desks(first: $n) { nodes { id label floor { name } } } }';
    const literal = (n: number) => measure(`{ desks(first: ${n}) { nodes { id label floor { name } } } }`).cost;
    expect(measure(query, { n: 100 }).cost).toBe(literal(100));
    expect(measure(query, { n: null }).cost).toBe(literal(DEFAULT_PAGE_SIZE));
    expect(measure(query, {}).cost).toBe(literal(DEFAULT_PAGE_SIZE));
    expect(measure('query Q($n: Int = 50) { desks(last: $n) { nodes { id label floor { name } } } }').cost).toBe(literal(50));
  });

  it('multiplies nested pages, also when the inner list sits in a fragment', () => {
    const direct = measure('{ desks(first: 10) { nodes { floor { desks(first: 10) { nodes { id } } } } } }').cost;
    const viaFragment = measure(
      '{ desks(first: 10) { nodes { ...F } } } fragment F on Desk { floor { desks(first: 10) { nodes { id } } } }',
    ).cost;
    expect(viaFragment).toBe(direct);
  });

  it('measures a chain of fragments each spreading the next twice in linear time (no exponential blow-up)', () => {
    const chain = Array.from({ length: 60 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join(' ');
    const started = performance.now();
    const m = measure(`{ ...F0 } ${chain} fragment F60 on Query { desk(id: "1") { id } }`);
    expect(performance.now() - started).toBeLessThan(200);
    expect(m.rootFields).toBe(2 ** 60);
    expect(crossedLimit(m, LIMITS)?.extensions['code']).toBe('MAX_ROOT_FIELDS_EXCEEDED');
  });
});

describe('crossedLimit', () => {
  it('names the first limit crossed with its own code and HTTP 400, and nothing below the limits', () => {
    expect(crossedLimit(measure('{ desk(id: "1") { id } }'), LIMITS)).toBeNull();
    const cases: [string, string][] = [
      ['{ desk(id: "1") { floor { desks { nodes { floor { desks { nodes { id } } } } } } } }', 'MAX_DEPTH_EXCEEDED'],
      ['{ a: __typename b: __typename c: __typename d: __typename e: __typename f: __typename }', 'MAX_ALIASES_EXCEEDED'],
      [`{ ... on Query { ${roots(5)} } }`.replace(/r\d: /g, ''), 'MAX_ROOT_FIELDS_EXCEEDED'],
      [
        '{ desk(id: "1") @include(if: true) { id @include(if: true) label @include(if: true) floor @skip(if: false) { id } } }',
        'MAX_DIRECTIVES_EXCEEDED',
      ],
      ['{ desks { nodes { id label floor { name } } } }', 'MAX_COST_EXCEEDED'],
    ];
    for (const [query, code] of cases) {
      const error = crossedLimit(measure(query), LIMITS);
      expect([query, error?.extensions]).toEqual([query, { code, http: { status: 400 } }]);
    }
  });
});
