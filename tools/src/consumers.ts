/**
 * `npm run consumers -- <command>`: the API consumers file the gateway reads (Apigee's
 * developer apps). Keys are printed once, at issue time; the file keeps only hashes.
 *
 *   add --id <id> --name <name> --tenant <tenant> --scopes a,b [--per-minute n] [--per-day n] [--spike-per-second n] [--burst n]
 *   update --id <id> [--name <name>] [--scopes a,b] [--per-minute n] [--per-day n] [--spike-per-second n] [--burst n]
 *                                change what is given; keys and tenant stay
 *   remove --id <id>             remove the consumer and all its keys
 *   issue --consumer <id>        print a new key for the consumer (once)
 *   revoke --key <keyId>         revoke a key (the gateway refuses it within a second)
 *   list                         consumers, scopes, limits and key ids
 * The file is CONSUMERS_FILE, or --file <path>.
 */
import { parseArgs } from 'node:util';
import { ALL_SCOPES } from '@phoenix/domain';
import {
  addConsumer,
  ConsumersCliError,
  DEFAULT_LIMITS,
  issueKey,
  readFile,
  removeConsumer,
  revokeKey,
  updateConsumer,
  writeFile,
} from './consumers/edit';
import { loadConsumersEnvironment } from './environment';

function int(name: string, value: string | undefined, fallback: number): number;
function int(name: string, value: string | undefined): number | undefined;
function int(name: string, value: string | undefined, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new ConsumersCliError(`--${name} must be a number ≥ 0`);
  return n;
}

/** The scopes of --scopes a,b, each one known. */
function scopeList(value: string | undefined): string[] {
  const scopes = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = scopes.filter((s) => !(ALL_SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0) throw new ConsumersCliError(`unknown scope(s) ${unknown.join(', ')}; known: ${ALL_SCOPES.join(', ')}`);
  return scopes;
}

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      file: { type: 'string' },
      id: { type: 'string' },
      name: { type: 'string' },
      tenant: { type: 'string' },
      scopes: { type: 'string' },
      consumer: { type: 'string' },
      key: { type: 'string' },
      'per-minute': { type: 'string' },
      'per-day': { type: 'string' },
      'spike-per-second': { type: 'string' },
      burst: { type: 'string' },
    },
  });
  const path = values.file ?? loadConsumersEnvironment().consumersFile;
  if (!path) throw new ConsumersCliError('say which file: --file <path> or CONSUMERS_FILE');
  const file = readFile(path);
  switch (command) {
    case 'add': {
      if (!values.id || !values.tenant) throw new ConsumersCliError('add needs --id and --tenant');
      const scopes = scopeList(values.scopes);
      writeFile(
        path,
        addConsumer(file, {
          id: values.id,
          name: values.name ?? values.id,
          tenantId: values.tenant,
          scopes,
          limits: {
            perMinute: int('per-minute', values['per-minute'], DEFAULT_LIMITS.perMinute),
            perDay: int('per-day', values['per-day'], DEFAULT_LIMITS.perDay),
            spikeArrest: {
              perSecond: int('spike-per-second', values['spike-per-second'], DEFAULT_LIMITS.spikeArrest.perSecond),
              burst: int('burst', values.burst, DEFAULT_LIMITS.spikeArrest.burst),
            },
          },
        }),
      );
      console.log(`added consumer ${values.id} (tenant ${values.tenant}, scopes ${scopes.join(' ') || 'none'}) to ${path}`);
      return 0;
    }
    case 'update': {
      if (!values.id) throw new ConsumersCliError('update needs --id <id>');
      if (values.tenant !== undefined) throw new ConsumersCliError('a consumer cannot move to another tenant: remove it and add a new one');
      const spike = { perSecond: int('spike-per-second', values['spike-per-second']), burst: int('burst', values.burst) };
      const updated = updateConsumer(file, values.id, {
        ...(values.name !== undefined ? { name: values.name } : {}),
        ...(values.scopes !== undefined ? { scopes: scopeList(values.scopes) } : {}),
        limits: {
          ...(values['per-minute'] !== undefined ? { perMinute: int('per-minute', values['per-minute']) } : {}),
          ...(values['per-day'] !== undefined ? { perDay: int('per-day', values['per-day']) } : {}),
          spikeArrest: Object.fromEntries(Object.entries(spike).filter(([, v]) => v !== undefined)),
        },
      });
      writeFile(path, updated);
      const c = updated.consumers.find((x) => x.id === values.id);
      console.log(
        `updated consumer ${values.id}: scopes ${c?.scopes.join(' ') || 'none'}, ${c?.limits.perMinute}/min ${c?.limits.perDay}/day ` +
          `spike ${c?.limits.spikeArrest.perSecond}/s burst ${c?.limits.spikeArrest.burst}`,
      );
      return 0;
    }
    case 'remove': {
      if (!values.id) throw new ConsumersCliError('remove needs --id <id>');
      const removed = removeConsumer(file, values.id);
      writeFile(path, removed.file);
      console.log(`removed consumer ${values.id} and its ${removed.keys} key(s)`);
      return 0;
    }
    case 'issue': {
      if (!values.consumer) throw new ConsumersCliError('issue needs --consumer <id>');
      const issued = issueKey(file, values.consumer);
      writeFile(path, issued.file);
      console.error(`issued key ${issued.keyId} for ${values.consumer}. It is shown once; store it now:`);
      console.log(issued.key);
      return 0;
    }
    case 'revoke': {
      if (!values.key) throw new ConsumersCliError('revoke needs --key <keyId>');
      const revoked = revokeKey(file, values.key);
      writeFile(path, revoked.file);
      console.log(`revoked key ${values.key} of ${revoked.consumerId}`);
      return 0;
    }
    case 'list': {
      for (const c of file.consumers) {
        const keys = c.keys.map((k) => `${k.id}${k.revokedAt ? ' (revoked)' : ''}`).join(', ') || 'no keys';
        console.log(
          `${c.id}\ttenant ${c.tenantId}\tscopes ${c.scopes.join(' ') || '-'}\t${c.limits.perMinute}/min ${c.limits.perDay}/day ` +
            `spike ${c.limits.spikeArrest.perSecond}/s burst ${c.limits.spikeArrest.burst}\tkeys ${keys}`,
        );
      }
      return 0;
    }
    default:
      throw new ConsumersCliError('usage: npm run consumers -- add|update|remove|issue|revoke|list … (see tools/src/consumers.ts)');
  }
}

try {
  process.exit(main(process.argv.slice(2)));
} catch (err) {
  if (err instanceof ConsumersCliError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    console.error(`consumers: ${(err as Error).message}`);
    process.exit(2);
  }
  throw err;
}
