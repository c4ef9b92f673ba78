// Once per run, when the suite runs on a PostgreSQL server (TEST_DATABASE_URL): one database migrated
// and holding the example school's snapshot, which every test database is created from
// (`create database … template …`), instead of each migrating on its own. Dropped at the end.
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../db/client.ts';
import { examplesSnapshot, makeSnapshot } from './db.ts';

export default async function setup(project: TestProject) {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    project.provide('pgTemplate', undefined);
    return;
  }
  const { default: postgres } = await import('postgres');
  const name = `test_template_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), maxConnections: 1 });
  try {
    await makeSnapshot(database, examplesSnapshot(['school.yaml']));
  } finally {
    await database.close();
  }
  project.provide('pgTemplate', name);
  return async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  };
}
