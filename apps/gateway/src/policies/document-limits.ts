import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import {
  GraphQLError,
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

/**
 * The subgraphs' page size when a list gets no `first` (DEFAULT_PAGE_SIZE of
 * @phoenix/subgraph's pagination): a list asked for without one returns this many.
 */
export const DEFAULT_PAGE_SIZE = 20;

export interface DocumentLimits {
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxDirectives: number;
  maxCost: number;
}

/** What an operation asks for once every fragment is expanded where it is spread. */
export interface OperationMeasure {
  /** Fields on the longest path, the leaf included (`{ a { b } }` is 2); introspection not counted. */
  depth: number;
  /** Every alias, `__typename` ones included. */
  aliases: number;
  /** Root fields, through inline fragments and fragment spreads; `__typename` and the like not counted. */
  rootFields: number;
  /** Directives on the operation, its fields, fragments and spreads. */
  directives: number;
  /**
   * Static cost: 1 per scalar, 2 per object plus 1.5× its children, all of it times the
   * page size of a list (`first`/`last`, from a literal, a variable or its default, and
   * DEFAULT_PAGE_SIZE when none is given or it is null). Introspection costs nothing.
   */
  cost: number;
}

interface Tally {
  depth: number;
  aliases: number;
  fields: number;
  directives: number;
  cost: number;
}

const ZERO: Tally = { depth: 0, aliases: 0, fields: 0, directives: 0, cost: 0 };
const INTROSPECTION = new Set(['__schema', '__type']);

/**
 * Measures the operation as it would run: an inline fragment (`... on Query { … }`) or a
 * named fragment counts as if its selections were written where it is used, at any
 * nesting and through chains of fragments. Each fragment is measured once and reused
 * (so a chain of fragments spreading each other twice costs linear time, not
 * exponential), and a fragment cycle counts as empty — graphql-js refuses it anyway.
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>>,
): OperationMeasure {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const defaults = new Map<string, ValueNode>();
  for (const v of operation.variableDefinitions ?? []) if (v.defaultValue) defaults.set(v.variable.name.value, v.defaultValue);
  const measured = new Map<string, Tally>();
  const inProgress = new Set<string>();

  const pageSize = (field: GraphQLField<unknown, unknown> | undefined, args: readonly { name: { value: string }; value: ValueNode }[]) => {
    if (!field?.args.some((a) => a.name === 'first' || a.name === 'last')) return 1;
    const arg = args.find((a) => a.name.value === 'first' || a.name.value === 'last');
    let value: unknown = undefined;
    if (arg?.value.kind === Kind.INT) value = Number(arg.value.value);
    else if (arg?.value.kind === Kind.VARIABLE) {
      const name = arg.value.name.value;
      const fallback = defaults.get(name);
      value = name in variables ? variables[name] : fallback?.kind === Kind.INT ? Number(fallback.value) : undefined;
    }
    return typeof value === 'number' && Number.isFinite(value) ? Math.max(1, Math.trunc(value)) : DEFAULT_PAGE_SIZE;
  };

  const selections = (set: SelectionSetNode, parent: GraphQLCompositeType | undefined): Tally => {
    const total = { ...ZERO };
    const add = (t: Tally) => {
      total.depth = Math.max(total.depth, t.depth);
      total.aliases += t.aliases;
      total.fields += t.fields;
      total.directives += t.directives;
      total.cost += t.cost;
    };
    for (const selection of set.selections) {
      const own = selection.directives?.length ?? 0;
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const field = parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[name] : undefined;
        const aliases = selection.alias ? 1 : 0;
        if (INTROSPECTION.has(name)) {
          const inner = selection.selectionSet ? selections(selection.selectionSet, undefined) : ZERO;
          add({ depth: 0, aliases: aliases + inner.aliases, fields: 0, directives: own + inner.directives, cost: 0 });
          continue;
        }
        const fields = name.startsWith('__') ? 0 : 1;
        if (!selection.selectionSet) {
          add({ depth: 1, aliases, fields, directives: own, cost: 1 });
          continue;
        }
        const type = field ? getNamedType(field.type) : undefined;
        const inner = selections(selection.selectionSet, type && isCompositeType(type) ? type : undefined);
        add({
          depth: 1 + inner.depth,
          aliases: aliases + inner.aliases,
          fields,
          directives: own + inner.directives,
          cost: (2 + 1.5 * inner.cost) * pageSize(field, selection.arguments ?? []),
        });
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        const inner = selections(selection.selectionSet, condition && isCompositeType(condition) ? condition : undefined);
        add({ ...inner, directives: own + inner.directives });
      } else {
        const inner = fragment(selection.name.value);
        add({ ...inner, directives: own + inner.directives });
      }
    }
    return total;
  };

  const fragment = (name: string): Tally => {
    const known = measured.get(name);
    if (known) return known;
    const definition = fragments.get(name);
    if (!definition || inProgress.has(name)) return ZERO;
    inProgress.add(name);
    const condition = schema.getType(definition.typeCondition.name.value);
    const inner = selections(definition.selectionSet, condition && isCompositeType(condition) ? condition : undefined);
    const tally = { ...inner, directives: inner.directives + (definition.directives?.length ?? 0) };
    inProgress.delete(name);
    measured.set(name, tally);
    return tally;
  };

  const root = schema.getRootType(operation.operation) ?? undefined;
  const tally = selections(operation.selectionSet, root);
  return {
    depth: tally.depth,
    aliases: tally.aliases,
    rootFields: tally.fields,
    directives: tally.directives + (operation.directives?.length ?? 0),
    cost: tally.cost,
  };
}

/** The first limit the measure crosses, as the error the client gets (400 with the limit's own code); null when none. */
export function crossedLimit(measure: OperationMeasure, limits: DocumentLimits): GraphQLError | null {
  const refuse = (code: string, message: string) => new GraphQLError(message, { extensions: { code, http: { status: 400 } } });
  if (measure.depth > limits.maxDepth)
    return refuse('MAX_DEPTH_EXCEEDED', `Depth limit of ${limits.maxDepth} exceeded, found ${measure.depth}: fetch deep parts separately`);
  if (measure.aliases > limits.maxAliases)
    return refuse('MAX_ALIASES_EXCEEDED', `Aliases limit of ${limits.maxAliases} exceeded, found ${measure.aliases}: use a list field`);
  if (measure.rootFields > limits.maxRootFields)
    return refuse(
      'MAX_ROOT_FIELDS_EXCEEDED',
      `Root field limit of ${limits.maxRootFields} exceeded, found ${measure.rootFields}: split the operation`,
    );
  if (measure.directives > limits.maxDirectives)
    return refuse('MAX_DIRECTIVES_EXCEEDED', `Directives limit of ${limits.maxDirectives} exceeded, found ${measure.directives}`);
  if (measure.cost > limits.maxCost)
    return refuse(
      'MAX_COST_EXCEEDED',
      `Query Cost limit of ${limits.maxCost} exceeded, found ${Number.isFinite(measure.cost) ? Math.ceil(measure.cost) : 'more'}: ask for smaller pages or fewer nested fields`,
    );
  return null;
}

/**
 * The document limits, checked once the operation to run is known and its variables
 * are at hand (a page size may come in a variable), before scopes and planning: no
 * subgraph is called for a refused operation.
 */
export function documentLimitsPlugin(limits: DocumentLimits): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return;
          const error = crossedLimit(measureOperation(schema, document, operation, request.variables ?? {}), limits);
          if (error) throw error;
        },
      };
    },
  };
}
