// Which of the committed migrations the database has applied (the journal against drizzle's table):
// db/client.ts holds them, since opening the database asks it before running the migrator.
export { type JournalEntry, type MigrationStatus, migrationJournal, migrationStatus } from '../client.ts';
