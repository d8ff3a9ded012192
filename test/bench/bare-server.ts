/**
 * The baseline for the intake benchmark: a bare Express 5 endpoint that does ONE INSERT of the
 * same JSON through a pg pool, and nothing else (no auth, no validation, no logging).
 */
import express from 'express';
import pg from 'pg';

const port = Number(process.env.PORT ?? 3901);
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
await pool.query('CREATE TABLE IF NOT EXISTS bare_submissions (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())');

const app = express();
app.use(express.json({ limit: '100kb' }));
app.post('/bare', async (req, res) => {
  const { rows } = await pool.query('INSERT INTO bare_submissions (body) VALUES ($1) RETURNING id', [req.body]);
  res.status(201).json({ id: rows[0].id });
});
app.listen(port, '127.0.0.1', () => console.log(`bare listening on ${port}`));
