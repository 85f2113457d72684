import { ARCHETYPES, type Archetype } from '../roster/archetypes.js';

/**
 * The skills Claresia distributes and the Cowork packs that bundle them. This is product
 * content shipped with the control plane (every replica has the same copy), so it lives in
 * code rather than in a table a tenant could edit.
 */

export interface Skill {
  id: string;
  name: string;
  suite: string;
  description: string;
}

export interface Pack {
  name: string;
  description: string;
  /** The default skill set each archetype gets when the pack is applied. */
  grants: Partial<Record<Archetype, readonly string[]>>;
}

const s = (id: string, name: string, description: string): Skill => ({ id, name, suite: id.split('.')[1]!, description });

export const SKILLS: readonly Skill[] = [
  s('claresia.core.meeting-notes', 'Meeting notes', 'Summarise a meeting transcript into decisions and owners.'),
  s('claresia.core.email-drafting', 'Email drafting', 'Draft and tone-check an email from bullet points.'),
  s('claresia.core.doc-summary', 'Document summary', 'Summarise a long document with citations to its sections.'),
  s('claresia.core.translation', 'Translation', 'Translate text between the tenant’s working languages.'),
  s('claresia.codewright.code-review', 'Code review', 'Review a pull request for bugs, style and missing tests.'),
  s('claresia.codewright.test-writer', 'Test writer', 'Propose unit tests for a change.'),
  s('claresia.codewright.incident-summary', 'Incident summary', 'Turn an incident channel into a timeline and follow-ups.'),
  s('claresia.codewright.migration-helper', 'Migration helper', 'Plan a dependency or framework upgrade.'),
  s('claresia.lens.sql-assistant', 'SQL assistant', 'Write and explain SQL against a described schema.'),
  s('claresia.lens.dashboard-narrative', 'Dashboard narrative', 'Explain what changed in a dashboard and why it matters.'),
  s('claresia.lens.experiment-readout', 'Experiment readout', 'Summarise an A/B test with its caveats.'),
  s('claresia.compass.prd-writer', 'PRD writer', 'Draft a product requirements document from notes.'),
  s('claresia.compass.feedback-synthesis', 'Feedback synthesis', 'Cluster customer feedback into themes.'),
  s('claresia.compass.roadmap-brief', 'Roadmap brief', 'Summarise a roadmap for a given audience.'),
  s('claresia.canvas.ux-critique', 'UX critique', 'Critique a flow against usability heuristics.'),
  s('claresia.canvas.copy-variants', 'UI copy variants', 'Propose interface copy variants.'),
  s('claresia.gatespic.pipeline-hygiene', 'Pipeline hygiene', 'Flag stale, mis-staged or unowned opportunities.'),
  s('claresia.gatespic.account-research', 'Account research', 'Brief on an account before a call.'),
  s('claresia.gatespic.call-recap', 'Call recap', 'Recap a sales call with next steps for the CRM.'),
  s('claresia.gatespic.outbound-sequencer', 'Outbound sequencer', 'Draft a personalised outbound sequence.'),
  s('claresia.gatespic.deal-desk', 'Deal desk', 'Check a quote against discount policy.'),
  s('claresia.amplify.campaign-brief', 'Campaign brief', 'Draft a campaign brief with audiences and channels.'),
  s('claresia.amplify.seo-outline', 'SEO outline', 'Outline an article for a search intent.'),
  s('claresia.amplify.social-calendar', 'Social calendar', 'Plan a month of social posts.'),
  s('claresia.helm.ticket-triage', 'Ticket triage', 'Classify and route incoming support tickets.'),
  s('claresia.helm.reply-suggest', 'Reply suggestions', 'Suggest replies grounded in the help centre.'),
  s('claresia.helm.churn-signals', 'Churn signals', 'Spot accounts at risk from support history.'),
  s('claresia.ledger.variance-analysis', 'Variance analysis', 'Explain budget versus actuals.'),
  s('claresia.ledger.invoice-matching', 'Invoice matching', 'Match invoices to purchase orders.'),
  s('claresia.ledger.close-checklist', 'Close checklist', 'Track the month-end close.'),
  s('claresia.counsel.contract-review', 'Contract review', 'Review a contract against the playbook.'),
  s('claresia.counsel.dpa-check', 'DPA check', 'Check a data processing agreement for required clauses.'),
  s('claresia.counsel.policy-qa', 'Policy Q&A', 'Answer questions from internal policies.'),
  s('claresia.people.job-description', 'Job description', 'Draft an inclusive job description.'),
  s('claresia.people.interview-kit', 'Interview kit', 'Build structured interview questions and rubrics.'),
  s('claresia.people.review-summary', 'Review summary', 'Summarise performance feedback.'),
  s('claresia.ops.vendor-compare', 'Vendor comparison', 'Compare vendor proposals on set criteria.'),
  s('claresia.ops.process-doc', 'Process documentation', 'Write a standard operating procedure.'),
  s('claresia.ops.travel-planner', 'Travel planner', 'Plan a trip within travel policy.'),
  s('claresia.exec.board-memo', 'Board memo', 'Draft a board update from metrics and notes.'),
  s('claresia.exec.strategy-brief', 'Strategy brief', 'Summarise options and trade-offs for a decision.'),
  s('claresia.exec.web-research', 'Open web research', 'Research a topic on the open web with sources.'),
];

const CORE = ['claresia.core.meeting-notes', 'claresia.core.email-drafting', 'claresia.core.doc-summary', 'claresia.core.translation'];

const FUNCTIONAL: Record<Archetype, readonly string[]> = {
  eng: ['claresia.codewright.code-review', 'claresia.codewright.test-writer', 'claresia.codewright.incident-summary', 'claresia.codewright.migration-helper'],
  data: ['claresia.lens.sql-assistant', 'claresia.lens.dashboard-narrative', 'claresia.lens.experiment-readout'],
  product: ['claresia.compass.prd-writer', 'claresia.compass.feedback-synthesis', 'claresia.compass.roadmap-brief', 'claresia.lens.experiment-readout'],
  design: ['claresia.canvas.ux-critique', 'claresia.canvas.copy-variants', 'claresia.compass.feedback-synthesis'],
  sales: ['claresia.gatespic.pipeline-hygiene', 'claresia.gatespic.account-research', 'claresia.gatespic.call-recap', 'claresia.gatespic.outbound-sequencer', 'claresia.gatespic.deal-desk'],
  marketing: ['claresia.amplify.campaign-brief', 'claresia.amplify.seo-outline', 'claresia.amplify.social-calendar', 'claresia.exec.web-research'],
  support: ['claresia.helm.ticket-triage', 'claresia.helm.reply-suggest', 'claresia.helm.churn-signals'],
  finance: ['claresia.ledger.variance-analysis', 'claresia.ledger.invoice-matching', 'claresia.ledger.close-checklist'],
  legal: ['claresia.counsel.contract-review', 'claresia.counsel.dpa-check', 'claresia.counsel.policy-qa'],
  hr: ['claresia.people.job-description', 'claresia.people.interview-kit', 'claresia.people.review-summary', 'claresia.counsel.policy-qa'],
  ops: ['claresia.ops.vendor-compare', 'claresia.ops.process-doc', 'claresia.ops.travel-planner'],
  exec: ['claresia.exec.board-memo', 'claresia.exec.strategy-brief', 'claresia.exec.web-research', 'claresia.lens.dashboard-narrative'],
};

const grantsFor = (archetypes: readonly Archetype[], withCore: boolean) =>
  Object.fromEntries(archetypes.map((a) => [a, [...new Set([...(withCore ? CORE : []), ...FUNCTIONAL[a]])].sort()]));

export const PACKS: readonly Pack[] = [
  { name: 'starter', description: 'The everyday core skills for every archetype.', grants: Object.fromEntries(ARCHETYPES.map((a) => [a, [...CORE].sort()])) },
  { name: 'go-to-market', description: 'Sales, marketing and support skills with the core set.', grants: grantsFor(['sales', 'marketing', 'support'], true) },
  { name: 'builders', description: 'Engineering, data, product and design skills with the core set.', grants: grantsFor(['eng', 'data', 'product', 'design'], true) },
  { name: 'back-office', description: 'Finance, legal, people and operations skills with the core set.', grants: grantsFor(['finance', 'legal', 'hr', 'ops'], true) },
  { name: 'enterprise', description: 'Every archetype’s functional skills with the core set.', grants: grantsFor(ARCHETYPES, true) },
];

const SKILL_IDS = new Set(SKILLS.map((x) => x.id));

export function isSkill(id: string): boolean {
  return SKILL_IDS.has(id);
}

export function packByName(name: string): Pack | undefined {
  return PACKS.find((p) => p.name === name);
}

// A pack that grants a skill the catalog does not have is a bug in this file; fail at load.
for (const p of PACKS) for (const list of Object.values(p.grants)) for (const id of list ?? []) if (!SKILL_IDS.has(id)) throw new Error(`pack ${p.name} grants unknown skill ${id}`);
