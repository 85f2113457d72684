import { ARCHETYPES, type Archetype } from './archetypes.js';
import { OVERRIDES, PHRASES, SENIORITY, STEMS } from './lexicon.js';

/**
 * cc-061: job title (and department, when present) to archetype with a confidence.
 *
 * Titles are folded (lowercase, accents stripped, C-level and "vice president" forms joined),
 * then role phrases are matched longest-first so "sales engineer" is not read as "engineer".
 * A word the lexicon does not know is corrected to the closest lexicon word when it is one or
 * two edits away (typos), or credited through a compound stem (German). The department adds
 * a weaker vote. Below THRESHOLD the answer is "unmatched": a wrong archetype grants wrong
 * skills, an unmatched row only asks an admin to decide.
 */

export const CLASSIFIER_ID = 'cc-061';
export const THRESHOLD = 0.6;
const DEPARTMENT_WEIGHT = 0.5;
const EXEC_WEIGHT = 3;

export interface Classification {
  archetype: Archetype | null;
  /** 0..1; the archetype is null when it is below THRESHOLD. */
  confidence: number;
  /** The best guess even when unmatched, for an admin deciding by hand. */
  candidate: Archetype | null;
}

interface Entry {
  tokens: string[];
  archetype: Archetype;
}

// Longest phrases first, so a cross-archetype phrase claims its words before its parts do.
const ENTRIES: Entry[] = (() => {
  const byKey = new Map<string, Archetype>();
  for (const a of ARCHETYPES) for (const p of PHRASES[a]) if (!byKey.has(p)) byKey.set(p, a);
  for (const [p, a] of Object.entries(OVERRIDES)) byKey.set(p, a);
  return [...byKey.entries()]
    .map(([p, a]) => ({ tokens: p.split(' '), archetype: a }))
    .sort((x, y) => y.tokens.length - x.tokens.length);
})();

const FIRST_TOKEN = new Map<string, Entry[]>();
for (const e of ENTRIES) {
  const list = FIRST_TOKEN.get(e.tokens[0]!) ?? [];
  list.push(e);
  FIRST_TOKEN.set(e.tokens[0]!, list);
}

const VOCABULARY = new Set<string>(ENTRIES.flatMap((e) => e.tokens));
const KNOWN = new Set<string>([...VOCABULARY, ...SENIORITY]);
const VOCAB_BY_LENGTH = new Map<number, string[]>();
// Typos are corrected towards lexicon words and the few role-neutral words phrases lean on.
for (const w of new Set([...VOCABULARY, 'officer', 'chief', 'senior', 'manager', 'director', 'president', 'executive'])) {
  if (w.length < 4) continue;
  const list = VOCAB_BY_LENGTH.get(w.length) ?? [];
  list.push(w);
  VOCAB_BY_LENGTH.set(w.length, list);
}

/** Optimal string alignment distance (edits plus adjacent swaps), giving up above `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = new Array<number>(b.length + 1);
    row[0] = i;
    rows.push(row);
  }
  for (let j = 0; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    let best = Infinity;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = v;
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
  }
  return rows[a.length]![b.length]!;
}

/** Short forms HR exports use for words that are part of longer phrases. */
const ABBREVIATIONS: Record<string, string> = {
  mgr: 'manager',
  mngr: 'manager',
  mgmt: 'management',
  exec: 'executive',
  acct: 'account',
  mktg: 'marketing',
  assoc: 'associate',
  asst: 'assistant',
  coord: 'coordinator',
  spec: 'specialist',
  rep: 'representative',
  engr: 'engineer',
};

const corrections = new Map<string, string | null>();

/** Among equally close words, prefer one with the same first letter, then the same length (a swap). */
function rank(w: string, token: string): number {
  return (w[0] === token[0] ? 2 : 0) + (w.length === token.length ? 1 : 0);
}

/** The lexicon word a typo most likely meant, or null when none is close enough. */
function correct(token: string): string | null {
  if (token.length < 5 || /\d/.test(token)) return null;
  const cached = corrections.get(token);
  if (cached !== undefined) return cached;
  const max = token.length >= 8 ? 2 : 1;
  let best: string | null = null;
  let bestD = max + 1;
  for (let len = token.length - max; len <= token.length + max; len++) {
    for (const w of VOCAB_BY_LENGTH.get(len) ?? []) {
      const d = editDistance(token, w, max);
      // Prefer the closer word; on a tie the first letter must agree (typos rarely hit it).
      if (d < bestD || (d === bestD && best && rank(w, token) > rank(best, token))) {
        best = w;
        bestD = d;
      }
    }
  }
  const out = bestD <= max ? best : null;
  if (corrections.size > 20_000) corrections.clear();
  corrections.set(token, out);
  return out;
}

/** Lowercase, accent-free words, with multi-word forms that mean one thing joined. */
export function fold(text: string): string[] {
  let s = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ß/g, 'ss')
    .toLowerCase()
    .replace(/c\+\+/g, ' cplusplus ')
    .replace(/c#/g, ' csharp ')
    .replace(/\.net\b/g, ' dotnet ')
    .replace(/\b(?:[a-z]\.){2,}/g, (m) => m.replace(/\./g, ''))
    .replace(/['’`]/g, ' ')
    .replace(/\s&\s/g, ' and ');
  // "Assistant to the CEO" works for the CEO; the title is the assistant's.
  s = s.replace(/\b(to|for|supporting)\s+(the\s+)?(ceo|cto|cfo|coo|cmo|cro|cpo|cio|founders?|president|board|md|managing director|executive team|c suite)\b/g, ' ');
  s = s.replace(/\bvice[\s-]+p[a-z]*\b/g, ' vp ').replace(/\bchief\s+of\s+staff\b/g, ' chiefofstaff ');
  s = s.replace(/\bco[\s-]+(founder|fondateur|fondatrice|fundador|fundadora|fondatore)\b/g, ' co$1 ');
  s = s.replace(/\b(pre|e)[\s-]+(sales|commerce)\b/g, '$1$2');
  return s
    .split(/[^a-z0-9&]+/)
    .map((t) => t.replace(/^&+|&+$/g, ''))
    .filter(Boolean)
    .map((t) => ABBREVIATIONS[t] ?? t);
}

function vote(tokens: string[], weight: number, scores: Map<Archetype, number>): void {
  const words = tokens.map((t) => (KNOWN.has(t) ? t : (correct(t) ?? t)));
  // "Chief <anything> Officer" is C-level whatever the function in the middle.
  if (words.includes('chief') && words.includes('officer')) words.push('chiefofficer');
  const used = new Array<boolean>(words.length).fill(false);
  for (let i = 0; i < words.length; i++) {
    if (used[i]) continue;
    for (const e of FIRST_TOKEN.get(words[i]!) ?? []) {
      const n = e.tokens.length;
      if (i + n > words.length) continue;
      let ok = true;
      for (let k = 1; k < n && ok; k++) ok = !used[i + k] && words[i + k] === e.tokens[k];
      if (!ok) continue;
      for (let k = 0; k < n; k++) used[i + k] = true;
      const w = e.archetype === 'exec' ? EXEC_WEIGHT : n;
      scores.set(e.archetype, (scores.get(e.archetype) ?? 0) + w * weight);
      break;
    }
  }
  // Glued words (German compounds) that no phrase explained.
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (used[i] || w.length < 6 || SENIORITY.has(w)) continue;
    for (const a of ARCHETYPES) {
      if (STEMS[a].some((s) => w.includes(s))) {
        scores.set(a, (scores.get(a) ?? 0) + (a === 'exec' ? EXEC_WEIGHT : 1) * weight);
        break;
      }
    }
  }
}

export function classify(title: string | null | undefined, department?: string | null): Classification {
  const scores = new Map<Archetype, number>();
  vote(fold(title ?? ''), 1, scores);
  if (department) vote(fold(department), DEPARTMENT_WEIGHT, scores);
  const ranked = [...scores.entries()].sort((a, b) => b[1] - a[1]);
  if (ranked.length === 0) return { archetype: null, confidence: 0, candidate: null };
  const [top, topScore] = ranked[0]!;
  const total = ranked.reduce((s, [, v]) => s + v, 0);
  // Share of the evidence, discounted when the only evidence is weak (a department alone).
  const confidence = Math.round((topScore / total) * (0.5 + 0.5 * Math.min(1, topScore)) * 1000) / 1000;
  return { archetype: confidence >= THRESHOLD ? top : null, confidence, candidate: top };
}
