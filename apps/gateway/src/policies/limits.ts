import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, Kind, type ASTVisitor, type ValidationContext } from 'graphql';
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
    plugins: protection.plugins,
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
