import { ApolloArmor } from '@escape.tech/graphql-armor';
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

/**
 * Threat protection (Apigee's JSONThreatProtection/RegularExpressionProtection for
 * GraphQL). Tokens are bounded by graphql-js's own parser option, which stops parsing
 * early. Depth, aliases, root fields, directives and cost are measured on the operation
 * that runs, fragments expanded and page sizes from variables included
 * (document-limits.ts); graphql-armor only hides field suggestions in production. Body
 * size, variable nesting, batch size and timeouts live in the HTTP layer.
 */
export function threatProtection(limits: GatewayEnvironment['limits'], production: boolean) {
  const armor = new ApolloArmor({
    maxDepth: { enabled: false },
    maxAliases: { enabled: false },
    maxTokens: { enabled: false },
    maxDirectives: { enabled: false },
    costLimit: { enabled: false },
    // Field suggestions ("did you mean …") map a production schema for an attacker.
    blockFieldSuggestion: { enabled: production },
  });
  const protection = armor.protect();
  return {
    plugins: protection.plugins,
    validationRules: protection.validationRules,
    parseOptions: { maxTokens: limits.maxTokens },
  };
}

/** graphql-js's token limit surfaces as a parse error; give it its own code. */
export function tokenLimitCode(message: string): string | null {
  return /^Syntax Error: Document contains more that \d+ tokens/.test(message) ? 'MAX_TOKENS_EXCEEDED' : null;
}
