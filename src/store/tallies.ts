import { bandOf } from '../domain/confidence.js';
import { parseList } from './merge.js';

/**
 * The changes a write makes to the IOC tallies (store.ts StatsReads: `ioc_counts`, `ioc_sector_counts`), gathered in
 * memory as IOCs are inserted, rescored or revoked, and written once per transaction as a few grouped deltas
 * (`cells()`): the SQLite store's single writer counts here instead of a trigger per row, which cost a quarter of a
 * bulk insert. (PostgreSQL keeps its statement-level triggers: one grouped delta per COPY already.)
 */
export class TallyDelta {
  private readonly byCell = new Map<string, number>();

  /** An IOC's state leaves (`-1`) or enters (`+1`) the tallies; sectors as stored (JSON text) or as a list. */
  move(type: string, status: string, score: number, sectors: string | readonly string[], delta: 1 | -1): void {
    const band = bandOf(score);
    this.add(`t\0${type}\0${status}\0${band}`, delta);
    const list = typeof sectors === 'string' ? (sectors === '[]' ? [] : parseList(sectors)) : sectors;
    for (const s of list) this.add(`s\0${s}\0${status}\0${band}`, delta);
  }

  /** From one state to another; nothing when neither the type, the status, the band nor the sectors moved. */
  change(
    from: { type: string; status: string; score: number; sectors: string },
    to: { status: string; score: number; sectors: readonly string[] | string },
  ): void {
    const sectors = typeof to.sectors === 'string' ? to.sectors : JSON.stringify(to.sectors);
    if (from.status === to.status && bandOf(from.score) === bandOf(to.score) && from.sectors === sectors) return;
    this.move(from.type, from.status, from.score, from.sectors, -1);
    this.move(from.type, to.status, to.score, sectors, 1);
  }

  /** The non-zero deltas: by type (`kind` 'type') or by sector (`kind` 'sector'). */
  cells(): Array<{ kind: 'type' | 'sector'; key: string; status: string; band: string; delta: number }> {
    const out: Array<{ kind: 'type' | 'sector'; key: string; status: string; band: string; delta: number }> = [];
    for (const [cell, delta] of this.byCell) {
      if (delta === 0) continue;
      const [k, key, status, band] = cell.split('\0') as [string, string, string, string];
      out.push({ kind: k === 't' ? 'type' : 'sector', key, status, band, delta });
    }
    return out;
  }

  private add(cell: string, delta: number): void {
    this.byCell.set(cell, (this.byCell.get(cell) ?? 0) + delta);
  }
}
