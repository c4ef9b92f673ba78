// The order test files are handed to the workers (vitest.config.ts, `sequence.sequencer`): the slow lane
// first, then db, then pure; within a lane vitest's own order (a file that failed last time, then the
// longest). Two workers share the machine: the slow lane's files, which mostly wait for the processes and
// servers they start, begin while the other worker has CPU for them, and the long ones do not end the run.
// A db worker keeps its PGlite for the next file only while the next file in the queue is a db file too,
// so the lanes are not interleaved.
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const LANES = ['slow', 'db', 'pure'];

export class LaneSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const at = LANES.indexOf(file.project.name);
      return at === -1 ? LANES.length : at;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}
