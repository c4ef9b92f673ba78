// Once per run, for the slow lane: the build (scripts/build.mjs) the spawned processes run, made when
// dist/ is missing or older than the sources — the tests start `node dist/…` as `npm start` does.
import { buildIfStale } from '../../scripts/build.mjs';

export default async function setup() {
  await buildIfStale();
}
