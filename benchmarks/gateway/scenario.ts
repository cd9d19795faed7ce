/**
 * The federation scenario of The Guild's gateway benchmark (graphql-hive/graphql-gateways-benchmark),
 * rewritten for Node: four subgraphs (accounts, inventory, products, reviews) with the same types,
 * keys, @requires and @provides, static in-memory data of the same size, and the same nested query.
 * Only the shape is borrowed; the data is our own (review bodies of similar lengths).
 */
import { parse, type DocumentNode } from 'graphql';
import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLSchema } from 'graphql';

export const SUBGRAPH_NAMES = ['accounts', 'inventory', 'products', 'reviews'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

const LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable", "@external", "@requires", "@provides"])`;

export const SDL: Record<SubgraphName, string> = {
  accounts: `${LINK}
type Query {
  me: User
  user(id: ID!): User
  users: [User]
}
type User @key(fields: "id") {
  id: ID!
  name: String
  username: String @shareable
  birthday: Int
}
`,
  inventory: `${LINK}
type Product @key(fields: "upc") {
  upc: String!
  weight: Int @external
  price: Int @external
  inStock: Boolean
  shippingEstimate: Int @requires(fields: "price weight")
}
`,
  products: `${LINK}
type Query {
  topProducts(first: Int = 5): [Product]
}
type Product @key(fields: "upc") {
  upc: String!
  name: String
  price: Int
  weight: Int
}
`,
  reviews: `${LINK}
type Review @key(fields: "id") {
  id: ID!
  body: String
  product: Product
  author: User @provides(fields: "username")
}
type User @key(fields: "id") {
  id: ID!
  username: String @external
  reviews: [Review]
}
type Product @key(fields: "upc") {
  upc: String!
  reviews: [Review]
}
`,
};

/** The benchmark's nested query: users → reviews → product → reviews → author → reviews → product, and topProducts likewise. */
export const NESTED_QUERY = `fragment User on User {
  id
  username
  name
}

fragment Review on Review {
  id
  body
}

fragment Product on Product {
  inStock
  name
  price
  shippingEstimate
  upc
  weight
}

query TestQuery {
  users {
    ...User
    reviews {
      ...Review
      product {
        ...Product
        reviews {
          ...Review
          author {
            ...User
            reviews {
              ...Review
              product {
                ...Product
              }
            }
          }
        }
      }
    }
  }
  topProducts {
    ...Product
    reviews {
      ...Review
      author {
        ...User
        reviews {
          ...Review
          product {
            ...Product
          }
        }
      }
    }
  }
}
`;

// ---- static data ------------------------------------------------------------------------

interface User {
  id: string;
  name: string;
  username: string;
  birthday: number;
}
interface Product {
  upc: string;
  name: string;
  price: number;
  weight: number;
}
interface Review {
  id: string;
  body: string;
  productUpc: string;
}

const USERS: readonly User[] = [
  { id: '1', name: 'Ada Brightwater', username: 'ada', birthday: 1234567890 },
  { id: '2', name: 'Bruno Castellan', username: 'bruno', birthday: 1234567890 },
  { id: '3', name: 'Chiara Dunmore', username: 'chiara', birthday: 1234567890 },
  { id: '4', name: 'Dmitri Eastwood', username: 'dmitri', birthday: 1234567890 },
  { id: '5', name: 'Esme Fairbanks', username: 'esme', birthday: 1234567890 },
  { id: '6', name: 'Farid Greenhalgh', username: 'farid', birthday: 1234567890 },
];

const PRODUCTS: readonly Product[] = [
  { upc: '1', name: 'Desk', price: 899, weight: 100 },
  { upc: '2', name: 'Sofa', price: 1299, weight: 1000 },
  { upc: '3', name: 'Mug', price: 15, weight: 20 },
  { upc: '4', name: 'Chair', price: 499, weight: 100 },
  { upc: '5', name: 'Screen', price: 1299, weight: 1000 },
  { upc: '6', name: 'Lamp', price: 6999, weight: 300 },
  { upc: '7', name: 'Heater', price: 3999, weight: 2000 },
  { upc: '8', name: 'Fridge', price: 100000, weight: 6000 },
  { upc: '9', name: 'Bench', price: 9999, weight: 800 },
];

const IN_STOCK: Readonly<Record<string, boolean>> = {
  '1': true,
  '2': false,
  '3': false,
  '4': false,
  '5': true,
  '6': true,
  '7': true,
  '8': false,
  '9': true,
};

/** A deterministic filler text of about `length` characters (review bodies: 140 to 900 characters, as in the original). */
function text(seed: number, length: number): string {
  const words = ['desk', 'room', 'booking', 'floor', 'quiet', 'window', 'meeting', 'badge', 'visit', 'coffee', 'light', 'team'];
  const out: string[] = [];
  let n = seed;
  let size = 0;
  while (size < length) {
    n = (n * 1103515245 + 12345) % 2147483648;
    const word = words[n % words.length] as string;
    out.push(word);
    size += word.length + 1;
  }
  return `${out.join(' ')}.`;
}

const REVIEW_SHAPE: ReadonlyArray<[string, number]> = [
  ['1', 450],
  ['1', 290],
  ['1', 280],
  ['1', 140],
  ['2', 450],
  ['2', 290],
  ['2', 280],
  ['2', 140],
  ['3', 140],
  ['4', 140],
  ['4', 900],
];
const REVIEWS: readonly Review[] = REVIEW_SHAPE.map(([productUpc, length], i) => ({
  id: String(i + 1),
  body: text(i + 1, length),
  productUpc,
}));

// In the original, every review's author is the first user, and every user's reviews are the first two.
const AUTHOR = USERS[0] as User;
const USER_REVIEWS = REVIEWS.slice(0, 2);

type Ref = Record<string, unknown>;

function resolvers(name: SubgraphName) {
  switch (name) {
    case 'accounts':
      return {
        Query: {
          me: () => USERS[0],
          user: (_: unknown, args: { id: string }) => USERS.find((u) => u.id === args.id) ?? null,
          users: () => USERS,
        },
        User: { __resolveReference: (ref: Ref) => USERS.find((u) => u.id === ref['id']) ?? null },
      };
    case 'inventory':
      return {
        Product: {
          __resolveReference: (ref: Ref) => ({ ...ref, inStock: IN_STOCK[String(ref['upc'])] ?? null }),
          shippingEstimate: (p: Ref) => {
            const price = p['price'];
            const weight = p['weight'];
            if (typeof price !== 'number') return null;
            if (price > 1000) return 0;
            return typeof weight === 'number' ? Math.floor(weight / 2) : null;
          },
        },
      };
    case 'products':
      return {
        Query: { topProducts: (_: unknown, args: { first?: number }) => PRODUCTS.slice(0, args.first ?? 5) },
        Product: { __resolveReference: (ref: Ref) => PRODUCTS.find((p) => p.upc === ref['upc']) ?? null },
      };
    case 'reviews':
      return {
        Review: {
          __resolveReference: (ref: Ref) => REVIEWS.find((r) => r.id === ref['id']) ?? null,
          product: (r: Review) => ({ upc: r.productUpc }),
          author: () => ({ id: AUTHOR.id, username: AUTHOR.username }),
        },
        User: {
          __resolveReference: (ref: Ref) => ({ id: ref['id'] }),
          reviews: () => USER_REVIEWS,
        },
        Product: {
          __resolveReference: (ref: Ref) => ({ upc: ref['upc'] }),
          reviews: (p: { upc: string }) => REVIEWS.filter((r) => r.productUpc === p.upc),
        },
      };
  }
}

export function subgraphSchema(name: SubgraphName): GraphQLSchema {
  // buildSubgraphSchema's resolver map type is looser than what we pass; the shapes above are what it calls.
  return buildSubgraphSchema([{ typeDefs: parse(SDL[name]), resolvers: resolvers(name) as never }]);
}

/** The bench supergraph, composed from the four SDLs with @apollo/composition; subgraph URLs from `urls`. */
export function composeSupergraph(urls: Readonly<Record<SubgraphName, string>>): string {
  const result = composeServices(SUBGRAPH_NAMES.map((name) => ({ name, url: urls[name], typeDefs: parse(SDL[name]) as DocumentNode })));
  if (result.errors) throw new Error(`composition failed: ${result.errors.map((e) => e.message).join('; ')}`);
  return result.supergraphSdl;
}
