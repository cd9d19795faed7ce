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

// Apollo renames validation errors GRAPHQL_VALIDATION_FAILED; limitCode survives and the
// error formatter lifts it into `code`.
const tag = (limitCode: string) => (_ctx: ValidationContext | null, error: GraphQLError) => {
  (error.extensions as Record<string, unknown>)['limitCode'] = limitCode;
};

/**
 * Threat protection (Apigee's JSONThreatProtection/RegularExpressionProtection for
 * GraphQL): depth, aliases, tokens, directives and cost from graphql-armor, plus a
 * root-field limit; body size, batch size and the request timeout live in the HTTP layer.
 */
export function threatProtection(limits: GatewayEnvironment['limits'], production: boolean) {
  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, onReject: [tag('MAX_DEPTH_EXCEEDED')], exposeLimits: true, flattenFragments: true },
    maxAliases: { n: limits.maxAliases, onReject: [tag('MAX_ALIASES_EXCEEDED')], exposeLimits: true },
    maxTokens: { n: limits.maxTokens, onReject: [tag('MAX_TOKENS_EXCEEDED')], exposeLimits: true },
    maxDirectives: { n: limits.maxDirectives, onReject: [tag('MAX_DIRECTIVES_EXCEEDED')], exposeLimits: true },
    costLimit: { maxCost: limits.maxCost, onReject: [tag('MAX_COST_EXCEEDED')], exposeLimits: true },
    // Field suggestions ("did you mean …") map a production schema for an attacker.
    blockFieldSuggestion: { enabled: production },
  });
  const protection = armor.protect();
  return {
    plugins: protection.plugins,
    validationRules: [...protection.validationRules, maxRootFields(limits.maxRootFields)],
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
