// What a parse thread does (handlers/upload-thread.ts): parse one upload with the limits, and give back
// the result or the refusal as plain data, which crosses between threads by structured clone.
import { type OrgFile, OrgFileError, parseOrgFile } from './org-file.ts';
import { type ParsedRoster, type ParseOptions, parseRoster, RosterFileError } from './roster-file.ts';
import type { UploadLimits } from './upload-limits.ts';

export type UploadTask =
  | { kind: 'roster'; file: string; bytes: Uint8Array; options: ParseOptions }
  | { kind: 'org'; file: string; source: string };

export type UploadOutcome =
  | { ok: true; value: ParsedRoster | OrgFile }
  | { ok: false; refused: 'roster' | 'org'; file: string; problems: unknown[]; omitted: number }
  | { ok: false; failed: string };

export async function runUploadTask(task: UploadTask, limits: UploadLimits): Promise<UploadOutcome> {
  try {
    const value =
      task.kind === 'roster'
        ? await parseRoster(task.file, task.bytes, task.options, limits)
        : parseOrgFile(task.file, task.source);
    return { ok: true, value };
  } catch (error) {
    if (error instanceof RosterFileError || error instanceof OrgFileError) {
      const refused = error instanceof RosterFileError ? 'roster' : 'org';
      return { ok: false, refused, file: error.file, problems: error.problems, omitted: error.omitted };
    }
    return { ok: false, failed: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
}

/** The outcome as the caller would have had it in place: the value, or the error thrown. */
export function settle(outcome: UploadOutcome): ParsedRoster | OrgFile {
  if (outcome.ok) return outcome.value;
  if ('failed' in outcome) throw new Error(`upload parse failed: ${outcome.failed}`);
  if (outcome.refused === 'roster') {
    throw new RosterFileError(outcome.file, outcome.problems as RosterFileError['problems'], outcome.omitted);
  }
  throw new OrgFileError(outcome.file, outcome.problems as OrgFileError['problems'], outcome.omitted);
}
