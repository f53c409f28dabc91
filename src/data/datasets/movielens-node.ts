// MovieLens ratings as shipped by Debian's r-cran-dslabs (dslabs::movielens: 100,004 ratings of
// 9,066 movies by 671 users, 0.5–5 stars): exported once with Rscript, cached as CSV, validated.

import { readFileSync } from 'node:fs';
import { readRawCsv } from '../tabular/table.js';
import { rExportedCsv } from './r-export-node.js';

export interface MovieLens {
  /** ids as 0-based indices: user u is userIds[u], movie i is movieIds[i] */
  users: Int32Array;
  items: Int32Array;
  ratings: Float32Array;
  timestamps: Float64Array;
  userIds: number[];
  movieIds: number[];
  /** title (year) per movie index, and its genres */
  titles: string[];
  genres: string[];
  source: string;
}

export const MOVIELENS_EXPORT = {
  file: 'dslabs-movielens.csv',
  code: 'suppressMessages(library(dslabs)); data(movielens); write.csv(movielens[, c("userId", "movieId", "rating", "timestamp", "title", "year", "genres")], out, row.names = FALSE)',
  packages: 'r-base-core r-cran-dslabs',
};

/** Loads the ratings from a CSV of columns userId, movieId, rating, timestamp, title, year, genres (default: the dslabs export). */
export function movielens(opts: { path?: string; cacheDir?: string } = {}): MovieLens {
  const path = opts.path ?? rExportedCsv(MOVIELENS_EXPORT, { cacheDir: opts.cacheDir });
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read the file: ${(e as Error).message}`, { cause: e });
  }
  const t = readRawCsv(text, { name: path });
  const need = ['userId', 'movieId', 'rating', 'timestamp', 'title', 'year', 'genres'];
  const col = Object.fromEntries(need.map((c) => {
    const j = t.columns.indexOf(c);
    if (j < 0) throw new Error(`${path}: no column ${JSON.stringify(c)} (columns: ${t.columns.join(', ')}); expected the dslabs movielens export`);
    return [c, j];
  })) as Record<string, number>;
  const n = t.rows.length;
  const userIndex = new Map<number, number>(), movieIndex = new Map<number, number>();
  const users = new Int32Array(n), items = new Int32Array(n), ratings = new Float32Array(n), timestamps = new Float64Array(n);
  const titles: string[] = [], genres: string[] = [], userIds: number[] = [], movieIds: number[] = [];
  const int = (r: number, c: string): number => {
    const v = Number(t.rows[r]![col[c]!]);
    if (!Number.isInteger(v)) throw new Error(`${path}: line ${t.lines[r]}, column ${c}: ${JSON.stringify(t.rows[r]![col[c]!])} is not a whole number`);
    return v;
  };
  for (let r = 0; r < n; r++) {
    const u = int(r, 'userId'), m = int(r, 'movieId');
    const rating = Number(t.rows[r]![col.rating!]);
    if (!(rating >= 0.5 && rating <= 5) || Math.round(rating * 2) !== rating * 2) throw new Error(`${path}: line ${t.lines[r]}: rating ${JSON.stringify(t.rows[r]![col.rating!])} is not one of 0.5, 1, …, 5`);
    let ui = userIndex.get(u);
    if (ui === undefined) { userIndex.set(u, (ui = userIds.length)); userIds.push(u); }
    let mi = movieIndex.get(m);
    if (mi === undefined) {
      movieIndex.set(m, (mi = movieIds.length));
      movieIds.push(m);
      const year = t.rows[r]![col.year!]!;
      titles.push(`${t.rows[r]![col.title!]}${year && year !== 'NA' ? ` (${year})` : ''}`);
      genres.push(t.rows[r]![col.genres!]!);
    }
    users[r] = ui; items[r] = mi; ratings[r] = rating; timestamps[r] = int(r, 'timestamp');
  }
  return { users, items, ratings, timestamps, userIds, movieIds, titles, genres, source: path };
}
