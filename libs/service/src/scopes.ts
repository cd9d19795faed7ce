import { Kind, type DocumentNode, type FieldDefinitionNode } from 'graphql';

/**
 * The `@scope(requires: "…")` directive of the subgraphs' SDL: which consumer scope a
 * field needs. It is the one place scopes are declared; the subgraphs enforce it per
 * field and the gateway reads it from the composed supergraph to refuse an operation
 * before planning it.
 */
export const SCOPE_DIRECTIVE = 'scope';

/** The scope a field definition requires, if any. */
export function scopeOf(field: FieldDefinitionNode | null | undefined): string | undefined {
  const directive = field?.directives?.find((d) => d.name.value === SCOPE_DIRECTIVE);
  const argument = directive?.arguments?.find((a) => a.name.value === 'requires');
  return argument?.value.kind === Kind.STRING ? argument.value.value : undefined;
}

/** Every `Type.field → scope` declared in a document (a subgraph's SDL or the supergraph). */
export function declaredScopes(document: DocumentNode): Map<string, string> {
  const scopes = new Map<string, string>();
  for (const definition of document.definitions) {
    if (
      definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
      definition.kind !== Kind.OBJECT_TYPE_EXTENSION &&
      definition.kind !== Kind.INTERFACE_TYPE_DEFINITION
    ) {
      continue;
    }
    for (const field of definition.fields ?? []) {
      const scope = scopeOf(field);
      if (scope) scopes.set(`${definition.name.value}.${field.name.value}`, scope);
    }
  }
  return scopes;
}
