import { GraphQLScalarType, valueFromASTUntyped } from 'graphql';
import type { SubgraphContext, SubgraphResolvers } from '@phoenix/subgraph';
import type { Commands, CommandOptions } from './commands';
import { WriteError } from './errors';
import type { Writer } from './writer';

/** Pass-through JSON: event data is validated by validateEvent, not by GraphQL. */
const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  serialize: (v) => v,
  parseValue: (v) => v,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
});

interface KeyArgs {
  idempotencyKey?: string | null;
  waitForRecorded?: boolean | null;
}

/** Thin resolvers: arguments in, a command or the writer, coded errors out. */
export function createResolvers(deps: { commands: Commands; writer: Writer }): SubgraphResolvers {
  const { commands, writer } = deps;
  const coded = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      throw err instanceof WriteError ? err.toGraphQL() : err;
    }
  };
  const options = (args: KeyArgs): CommandOptions => ({
    idempotencyKey: args.idempotencyKey ?? null,
    waitForRecorded: args.waitForRecorded ?? false,
  });
  const byId =
    (command: (auth: SubgraphContext['auth'], db: SubgraphContext['db'], id: string, o: CommandOptions) => Promise<unknown>) =>
    (_: unknown, args: KeyArgs & { id: string }, ctx: SubgraphContext) =>
      coded(() => command(ctx.auth, ctx.db, args.id, options(args)));

  return {
    JSON: JSONScalar,
    Mutation: {
      bookDesk: (_: unknown, args: KeyArgs & { input: Parameters<Commands['bookDesk']>[2] }, ctx: SubgraphContext) =>
        coded(() => commands.bookDesk(ctx.auth, ctx.db, { ...args.input }, options(args))),
      cancelDeskBooking: byId(commands.cancelDeskBooking),
      checkInDeskBooking: byId(commands.checkInDeskBooking),
      bookRoom: (_: unknown, args: KeyArgs & { input: Parameters<Commands['bookRoom']>[2] }, ctx: SubgraphContext) =>
        coded(() => commands.bookRoom(ctx.auth, ctx.db, { ...args.input }, options(args))),
      cancelRoomBooking: byId(commands.cancelRoomBooking),
      checkInRoomBooking: byId(commands.checkInRoomBooking),
      registerVisit: (_: unknown, args: KeyArgs & { input: Parameters<Commands['registerVisit']>[2] }, ctx: SubgraphContext) =>
        coded(() => commands.registerVisit(ctx.auth, ctx.db, { ...args.input }, options(args))),
      signInVisitor: byId(commands.signInVisitor),
      signOutVisitor: byId(commands.signOutVisitor),
      cancelVisit: byId(commands.cancelVisit),
      publishEvents: (_: unknown, args: KeyArgs & { events: Record<string, unknown>[] }, ctx: SubgraphContext) =>
        coded(async () => {
          // GraphQL input objects carry every declared field; absent ones are dropped so the envelope is what was sent.
          const events = args.events.map((e) =>
            Object.fromEntries(Object.entries({ ...e }).filter(([, v]) => v !== undefined && v !== null)),
          );
          return writer.publish(ctx.auth, events, {
            idempotencyKey: args.idempotencyKey ?? null,
            waitMs: args.waitForRecorded ? writer.config.maxWaitMs : 0,
          });
        }),
    },
    EventResult: {
      status: (r: { status: string }) => r.status.toUpperCase(),
    },
  };
}
