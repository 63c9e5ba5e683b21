import { defineConfig } from 'drizzle-kit';

/** PostgreSQL migrations, generated from the PostgreSQL schema: `npm run db:generate`. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './server/db/schema.postgres.ts',
  out: './drizzle/postgres',
});
