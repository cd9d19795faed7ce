import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import {
  GraphQLError,
  Kind,
  validate,
  visit,
  type ASTVisitor,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationContext,
  type ValueNode,
} from 'graphql';
import type { GatewayEnvironment } from '../environment';

/** The codes the threat-protection limits answer with (extensions.code). */
export const LIMIT_CODES = [
  'MAX_DEPTH_EXCEEDED',
  'MAX_ALIASES_EXCEEDED',
  'MAX_ROOT_FIELDS_EXCEEDED',
  'MAX_TOKENS_EXCEEDED',
  'MAX_DIRECTIVES_EXCEEDED',
  'MAX_COST_EXCEEDED',
] as const;

// armor's own Apollo reporter replaces the error with a bare BAD_USER_INPUT, and Apollo
// renames validation errors GRAPHQL_VALIDATION_FAILED; so each limit reports its own
// error carrying limitCode, which the error formatter lifts into `code`.
const report = (limitCode: string) => ({
  propagateOnRejection: false,
  onReject: [
    (ctx: ValidationContext | null, error: GraphQLError) =>
      ctx?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { limitCode } })),
  ],
  exposeLimits: true,
});

/**
 * Threat protection (Apigee's JSONThreatProtection/RegularExpressionProtection for
 * GraphQL): depth, aliases, tokens, directives and cost from graphql-armor, plus a
 * root-field limit; body size, batch size and the request timeout live in the HTTP layer.
 */
export function threatProtection(limits: GatewayEnvironment['limits'], production: boolean) {
  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, flattenFragments: true, ...report('MAX_DEPTH_EXCEEDED') },
    maxAliases: { n: limits.maxAliases, ...report('MAX_ALIASES_EXCEEDED') },
    // Tokens are bounded by graphql-js's own parser option (parseOptions.maxTokens), which
    // stops parsing early instead of after the fact.
    maxTokens: { enabled: false },
    maxDirectives: { n: limits.maxDirectives, ...report('MAX_DIRECTIVES_EXCEEDED') },
    costLimit: { maxCost: limits.maxCost, ...report('MAX_COST_EXCEEDED') },
    // Field suggestions ("did you mean …") map a production schema for an attacker.
    blockFieldSuggestion: { enabled: production },
  });
  const protection = armor.protect();
  return {
    plugins: [...protection.plugins, variableCostPlugin(limits.maxCost)],
    validationRules: [...protection.validationRules, maxRootFields(limits.maxRootFields)],
    parseOptions: { maxTokens: limits.maxTokens },
  };
}

/** At most `max` fields at the root of an operation: each one is a separate plan. */
export function maxRootFields(max: number) {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(node) {
      let count = 0;
      for (const selection of node.selectionSet.selections) {
        if (selection.kind === Kind.FIELD) count += selection.name.value.startsWith('__') ? 0 : 1;
        else if (selection.kind === Kind.INLINE_FRAGMENT) count += selection.selectionSet.selections.length;
        else if (selection.kind === Kind.FRAGMENT_SPREAD)
          count += context.getFragment(selection.name.value)?.selectionSet.selections.length ?? 0;
      }
      if (count > max) {
        context.reportError(
          new GraphQLError(`Root field limit of ${max} exceeded, found ${count}: split the operation`, {
            nodes: [node],
            extensions: { limitCode: 'MAX_ROOT_FIELDS_EXCEEDED' },
          }),
        );
      }
    },
  });
}

/** graphql-js's token limit surfaces as a parse error; give it its own code. */
export function tokenLimitCode(message: string): string | null {
  return /^Syntax Error: Document contains more that \d+ tokens/.test(message) ? 'MAX_TOKENS_EXCEEDED' : null;
}

/**
 * graphql-armor prices `first: 100` at ×100 but `first: $n` at ×1: validation sees the
 * document, not the variables, so a client could page 100× deeper than MAX_COST allows
 * by moving the number into a variable. Once the operation is resolved, this prices it
 * again with every `first`/`last` variable replaced by its value (or its default), with
 * armor's own cost rule, and refuses it the way the rule would.
 */
export function checkVariableCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Readonly<Record<string, unknown>>,
  maxCost: number,
): GraphQLError | null {
  const priced = inlinePageVariables(document, variables);
  if (priced === document) return null; // armor has already priced it as it is
  const found: GraphQLError[] = [];
  validate(schema, priced, [
    costLimitRule({ maxCost, exposeLimits: true, propagateOnRejection: false, onReject: [(_ctx, error) => void found.push(error)] }),
  ]);
  const [error] = found;
  if (!error) return null;
  return new GraphQLError(`${error.message.replace(/^Syntax Error: /, '')} (page sizes from variables included)`, {
    extensions: { limitCode: 'MAX_COST_EXCEEDED', http: { status: 400 } },
  });
}

/** The document with each `first`/`last: $var` replaced by the variable's integer value or default; the same object when none is. */
export function inlinePageVariables(document: DocumentNode, variables: Readonly<Record<string, unknown>>): DocumentNode {
  const defaults = new Map<string, ValueNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.OPERATION_DEFINITION)
      for (const v of definition.variableDefinitions ?? []) if (v.defaultValue) defaults.set(v.variable.name.value, v.defaultValue);
  let changed = false;
  const inlined = visit(document, {
    Argument(node) {
      if ((node.name.value !== 'first' && node.name.value !== 'last') || node.value.kind !== Kind.VARIABLE) return undefined;
      const name = node.value.name.value;
      const value = variables[name];
      const fallback = defaults.get(name);
      const n =
        typeof value === 'number' && Number.isSafeInteger(value)
          ? value
          : value === undefined && fallback?.kind === Kind.INT
            ? Number(fallback.value)
            : undefined;
      if (n === undefined) return undefined;
      changed = true;
      return { ...node, value: { kind: Kind.INT, value: String(n) } };
    },
  });
  return changed ? inlined : document;
}

/** checkVariableCost before planning, for every operation. */
export function variableCostPlugin(maxCost: number): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request }) {
          const error = checkVariableCost(schema, document, request.variables ?? {}, maxCost);
          if (error) throw error;
        },
      };
    },
  };
}
