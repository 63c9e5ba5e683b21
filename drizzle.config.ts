import { defineConfig } from 'drizzle-kit';

/** SQLite migrations: `npm run db:generate`. PostgreSQL's: drizzle.postgres.config.ts. */
export default defineConfig({
  dialect: 'sqlite',
  schema: './server/db/schema.ts',
  out: './drizzle/sqlite',
});
