import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLObjectType } from 'graphql';
import { ENTITY_TYPES } from '@phoenix/domain';
import { ENTITY_COLUMNS } from '@phoenix/bq';
import { loadTypeDefs } from '@phoenix/subgraph';
import { SCHEMA_PATH } from './subgraph';
import { typeName } from './versions';

const camel = (column: string) => column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

describe('the audit SDL', () => {
  const schema = buildSubgraphSchema({ typeDefs: loadTypeDefs(SCHEMA_PATH) });

  it.each(ENTITY_TYPES)('has a %s version type with exactly the version fields and the entity columns', (entityType) => {
    const type = schema.getType(`${typeName(entityType)}Version`);
    expect(type).toBeInstanceOf(GraphQLObjectType);
    const fields = Object.keys((type as GraphQLObjectType).getFields());
    const expected = [
      'entityId',
      'validFrom',
      'validTo',
      'recordedAt',
      'eventId',
      'eventType',
      'seq',
      'deleted',
      ...ENTITY_COLUMNS[entityType].map((c) => camel(c.name)),
    ];
    expect(fields.sort()).toEqual(expected.sort());
  });

  it.each(ENTITY_TYPES)('extends %s with history and asOf', (entityType) => {
    const type = schema.getType(typeName(entityType)) as GraphQLObjectType;
    expect(Object.keys(type.getFields()).sort()).toEqual(['asOf', 'history', 'id']);
  });
});
