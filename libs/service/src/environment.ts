import { z } from 'zod';
import { envList } from './config';

/** The secrets the gateway signs request contexts with: comma-separated, the first signs, any verifies (rotation). */
export const contextEnvironment = z
  .object({
    CONTEXT_SIGNING_SECRET: envList().pipe(
      z
        .array(z.string().min(32, 'each secret must be at least 32 characters'))
        .min(1, 'required: the secret(s) the gateway signs request contexts with, comma-separated'),
    ),
  })
  .partial({ CONTEXT_SIGNING_SECRET: true })
  .transform((e, ctx) => {
    if (!e.CONTEXT_SIGNING_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['CONTEXT_SIGNING_SECRET'],
        message: 'required: the secret(s) the gateway signs request contexts with',
      });
      return z.NEVER;
    }
    return { secrets: e.CONTEXT_SIGNING_SECRET };
  });
