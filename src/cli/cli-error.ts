import { isMessageId, render, text } from '../platform/i18n.js';

/**
 * A command that cannot run as given: printed as its message (CLI output is English), exit code 2 for a mistake
 * in the arguments, 1 for a platform that is not ready.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A zod issue's message in English: a refinement names a catalog id, which is rendered. */
export const issueMessage = (message: string) => (isMessageId(message) ? render(text(message), 'en') : message);
