import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` writes a new migration into drizzle/ from src/store/schema.ts and then
// re-bundles drizzle/ and sql/ into src/generated/ (no runtime reads the filesystem).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/store/schema.ts',
  out: './drizzle',
  schemaFilter: ['weir'],
});
