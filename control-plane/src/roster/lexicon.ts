import type { Archetype } from './archetypes.js';

/**
 * The vocabulary of cc-061: role phrases in English, Italian, German, French and Spanish,
 * written accent-free and lowercase (the classifier folds input the same way). A longer
 * phrase wins over the words inside it ("sales engineer" is sales, not eng), so phrases that
 * cross archetypes are listed explicitly.
 */
export const PHRASES: Record<Archetype, readonly string[]> = {
  eng: [
    'software engineer', 'software engineering', 'software developer', 'software development', 'software architect',
    'engineer', 'engineering', 'developer', 'development engineer', 'programmer', 'coder', 'swe', 'sde', 'sre', 'devops',
    'site reliability', 'backend', 'back end', 'frontend', 'front end', 'fullstack', 'full stack', 'platform engineer',
    'infrastructure engineer', 'cloud engineer', 'qa', 'quality assurance', 'test engineer', 'tester', 'sdet', 'test automation',
    'mobile', 'ios', 'android', 'web developer', 'security engineer', 'application security', 'appsec', 'embedded',
    'firmware', 'cto office', 'engineering manager', 'em', 'tech lead', 'technical lead', 'architect', 'cplusplus', 'csharp',
    'dotnet', 'dev', 'java', 'javascript', 'typescript', 'python developer', 'golang', 'rust', 'react', 'node', 'kubernetes', 'technical writer',
    'release engineer', 'build engineer', 'systems engineer', 'network engineer', 'r&d',
    // Italian
    'sviluppatore', 'sviluppatrice', 'ingegnere software', 'ingegnere del software', 'programmatore', 'programmatrice', 'ingegnere',
    'responsabile sviluppo software', 'tecnico informatico sviluppo',
    // German
    'softwareentwickler', 'softwareentwicklerin', 'entwickler', 'entwicklerin', 'softwareingenieur', 'informatiker', 'programmierer',
    'softwarearchitekt', 'anwendungsentwickler', 'fachinformatiker anwendungsentwicklung', 'fachinformatiker', 'entwicklungsingenieur',
    // French
    'developpeur', 'developpeuse', 'ingenieur logiciel', 'ingenieure logiciel', 'ingenieur developpement', 'ingenieur', 'ingenieure',
    'architecte logiciel', 'developpeur web', 'ingenieur devops',
    // Spanish
    'desarrollador', 'desarrolladora', 'ingeniero de software', 'ingeniera de software', 'ingeniero', 'ingeniera', 'programador',
    'programadora', 'arquitecto de software',
  ],
  data: [
    'data scientist', 'data science', 'data analyst', 'data analytics', 'data engineer', 'data engineering', 'analytics engineer',
    'analytics', 'machine learning', 'ml engineer', 'ml', 'mle', 'ai engineer', 'ai researcher', 'research scientist',
    'applied scientist', 'business intelligence', 'bi analyst', 'bi developer', 'bi', 'statistician', 'data architect',
    'product analyst', 'data', 'insights analyst', 'quantitative analyst', 'quant', 'deep learning', 'nlp', 'mlops', 'data platform',
    'database administrator', 'dba', 'head of data',
    // Italian
    'analista dati', 'analista dei dati', 'scienziato dei dati', 'data scientist junior', 'ingegnere dei dati', 'statistico',
    // German
    'datenanalyst', 'datenanalystin', 'datenwissenschaftler', 'datenwissenschaftlerin', 'dateningenieur', 'datenbankadministrator',
    // French
    'analyste de donnees', 'analyste donnees', 'scientifique des donnees', 'ingenieur donnees', 'ingenieur de donnees', 'statisticien',
    'ingenieur data',
    // Spanish
    'analista de datos', 'cientifico de datos', 'cientifica de datos', 'ingeniero de datos', 'ingeniera de datos', 'estadistico',
  ],
  product: [
    'product manager', 'product management', 'product owner', 'product lead', 'pm', 'po', 'apm', 'tpm', 'technical product manager',
    'group product manager', 'product', 'product director', 'product operations',
    // Italian
    'responsabile prodotto', 'responsabile di prodotto', 'gestore prodotto',
    // German
    'produktmanager', 'produktmanagerin', 'produktverantwortlicher', 'produktowner', 'produktleiter',
    // French
    'chef de produit', 'cheffe de produit', 'responsable produit', 'proprietaire produit',
    // Spanish
    'gerente de producto', 'jefe de producto', 'jefa de producto', 'responsable de producto', 'dueno de producto',
  ],
  design: [
    'designer', 'design', 'product designer', 'ux', 'ui', 'ux designer', 'ui designer', 'ux researcher', 'user researcher',
    'user research', 'interaction designer', 'visual designer', 'graphic designer', 'brand designer', 'motion designer',
    'illustrator', 'art director', 'creative director', 'design lead', 'content designer', 'ux writer', 'design systems',
    // Italian
    'grafico', 'grafica', 'progettista ux', 'designer grafico',
    // German
    'grafikdesigner', 'grafikdesignerin', 'gestalter', 'mediengestalter', 'mediengestalterin', 'produktdesigner', 'designerin',
    // French
    'graphiste', 'concepteur ux', 'conceptrice ux', 'directeur artistique', 'directrice artistique', 'designeur',
    // Spanish
    'disenador', 'disenadora', 'disenador grafico', 'disenadora grafica', 'disenador ux', 'director de arte',
  ],
  sales: [
    'sales', 'account executive', 'ae', 'sdr', 'bdr', 'sales development', 'business development', 'business developer',
    'account manager', 'key account', 'kam', 'sales engineer', 'sales engineering', 'solutions engineer', 'solution engineer',
    'presales', 'pre sales', 'inside sales', 'field sales', 'sales representative', 'sales rep', 'salesperson', 'seller',
    'enterprise ae', 'account director', 'sales manager', 'partnerships', 'partner manager', 'channel manager', 'alliances',
    'commercial', 'comercial', 'account exec', 'bizdev', 'biz dev', 'territory manager', 'revenue', 'new business',
    // Italian
    'commerciale', 'venditore', 'venditrice', 'responsabile vendite', 'direttore vendite', 'agente di commercio', 'vendite',
    'responsabile commerciale', 'addetto vendite', 'addetta vendite', 'sviluppo commerciale',
    // German
    'vertrieb', 'vertriebsmitarbeiter', 'vertriebsmitarbeiterin', 'vertriebsleiter', 'vertriebsleiterin', 'verkaufer', 'verkauferin',
    'aussendienst', 'aussendienstmitarbeiter', 'innendienst vertrieb', 'vertriebsingenieur', 'key account manager', 'verkauf',
    // French
    'ingenieur commercial', 'ingenieure commerciale', 'commerciale', 'responsable des ventes', 'charge d affaires', 'chargee d affaires',
    'vendeur', 'vendeuse', 'directeur commercial', 'directrice commerciale', 'ventes', 'technico commercial',
    // Spanish
    'ejecutivo de cuentas', 'ejecutiva de cuentas', 'vendedor', 'vendedora', 'gerente de ventas', 'representante de ventas',
    'ventas', 'director comercial', 'directora comercial', 'desarrollo de negocio', 'ejecutivo comercial', 'ejecutiva comercial',
  ],
  marketing: [
    'marketing', 'marketer', 'product marketing', 'pmm', 'growth', 'growth marketing', 'demand generation', 'demand gen',
    'seo', 'sem', 'ppc', 'content marketing', 'content strategist', 'content writer', 'copywriter', 'brand manager', 'brand',
    'social media', 'community manager', 'communications', 'comms', 'pr', 'public relations', 'events', 'event manager',
    'field marketing', 'marketing operations', 'lifecycle marketing', 'email marketing', 'campaign manager', 'digital marketing',
    'press', 'media relations', 'advertising', 'marcom', 'influencer',
    // Italian
    'responsabile marketing', 'addetto marketing', 'addetta marketing', 'comunicazione', 'ufficio stampa', 'specialista marketing',
    // German
    'marketingmanager', 'marketingmanagerin', 'marketing referent', 'marketingreferent', 'marketingreferentin', 'kommunikation',
    'pressesprecher', 'pressesprecherin', 'onlinemarketing', 'werbung',
    // French
    'charge de marketing', 'chargee de marketing', 'responsable marketing', 'charge de communication', 'chargee de communication',
    'communication', 'chef de projet marketing', 'redacteur', 'redactrice',
    // Spanish
    'responsable de marketing', 'especialista en marketing', 'comunicacion', 'mercadotecnia', 'redactor', 'redactora',
  ],
  support: [
    'support', 'customer support', 'technical support', 'support engineer', 'support specialist', 'customer success',
    'csm', 'customer service', 'customer care', 'customer experience', 'cx', 'help desk', 'helpdesk', 'service desk',
    'customer success manager', 'onboarding specialist', 'implementation specialist', 'implementation manager', 'customer advocate',
    'support agent', 'tier 1', 'tier 2', 'l1', 'l2', 'escalation engineer', 'client services', 'client success',
    // Italian
    'assistenza clienti', 'supporto tecnico', 'servizio clienti', 'operatore call center', 'customer care specialist', 'assistenza',
    // German
    'kundenservice', 'kundendienst', 'kundenbetreuer', 'kundenbetreuerin', 'kundensupport', 'support mitarbeiter', 'kundenberater',
    'kundenberaterin', 'technischer support',
    // French
    'support client', 'service client', 'conseiller clientele', 'conseillere clientele', 'charge de clientele', 'chargee de clientele',
    'support technique', 'relation client',
    // Spanish
    'atencion al cliente', 'soporte tecnico', 'agente de soporte', 'soporte', 'servicio al cliente', 'exito del cliente',
  ],
  finance: [
    'finance', 'financial', 'accountant', 'accounting', 'controller', 'comptroller', 'financial analyst', 'fp&a', 'fpa',
    'treasury', 'treasurer', 'bookkeeper', 'accounts payable', 'accounts receivable', 'ap', 'ar', 'billing', 'tax', 'auditor',
    'internal audit', 'revenue accountant', 'cpa', 'credit', 'collections', 'investor relations', 'procurement finance',
    'finance business partner', 'financial controller', 'cost accountant',
    // Italian
    'contabile', 'ragioniere', 'ragioniera', 'amministrazione', 'responsabile amministrativo', 'analista finanziario',
    'responsabile finanziario', 'tesoriere', 'revisore', 'contabilita',
    // German
    'buchhalter', 'buchhalterin', 'finanzbuchhalter', 'finanzbuchhalterin', 'controllerin', 'steuerberater', 'finanzanalyst',
    'bilanzbuchhalter', 'finanzen', 'rechnungswesen', 'finanzleiter', 'kreditorenbuchhalter',
    // French
    'comptable', 'controleur de gestion', 'controleuse de gestion', 'analyste financier', 'analyste financiere', 'tresorier',
    'tresoriere', 'auditeur', 'auditrice', 'responsable financier', 'comptabilite',
    // Spanish
    'contable', 'contador', 'contadora', 'analista financiero', 'analista financiera', 'tesorero', 'tesorera', 'contabilidad',
    'finanzas', 'controller financiero',
  ],
  legal: [
    'legal', 'lawyer', 'counsel', 'general counsel', 'legal counsel', 'attorney', 'paralegal', 'solicitor', 'barrister',
    'compliance', 'compliance officer', 'privacy', 'dpo', 'data protection officer', 'contracts manager', 'contract manager',
    'legal operations', 'regulatory', 'ip counsel', 'corporate counsel', 'gc', 'legal advisor', 'juridical',
    // Italian
    'avvocato', 'avvocatessa', 'legale', 'consulente legale', 'giurista', 'ufficio legale', 'responsabile legale',
    // German
    'rechtsanwalt', 'rechtsanwaltin', 'jurist', 'juristin', 'syndikusanwalt', 'syndikusanwaltin', 'justiziar', 'justiziarin',
    'rechtsabteilung', 'datenschutzbeauftragter', 'rechtsreferent',
    // French
    'juriste', 'avocat', 'avocate', 'responsable juridique', 'directeur juridique', 'directrice juridique', 'juridique',
    // Spanish
    'abogado', 'abogada', 'asesor juridico', 'asesora juridica', 'jurista', 'departamento legal', 'cumplimiento normativo',
  ],
  hr: [
    'hr', 'human resources', 'people', 'people partner', 'people operations', 'people ops', 'hrbp', 'hr business partner',
    'recruiter', 'recruiting', 'recruitment', 'talent acquisition', 'talent', 'sourcer', 'hr generalist', 'compensation',
    'benefits', 'payroll', 'learning and development', 'l&d', 'employee experience', 'people experience', 'total rewards',
    'hris', 'chro office', 'workforce', 'head of people', 'employer branding', 'onboarding coordinator',
    // Italian
    'risorse umane', 'selezionatore', 'selezionatrice', 'responsabile del personale', 'addetto paghe', 'paghe', 'personale',
    // German
    'personalreferent', 'personalreferentin', 'personalleiter', 'personalleiterin', 'personalsachbearbeiter', 'personalwesen',
    'personalabteilung', 'personalentwicklung', 'lohnbuchhalter', 'personal',
    // French
    'ressources humaines', 'rh', 'charge de recrutement', 'chargee de recrutement', 'responsable rh', 'gestionnaire de paie',
    'recruteur', 'recruteuse', 'drh',
    // Spanish
    'recursos humanos', 'rrhh', 'reclutador', 'reclutadora', 'tecnico de seleccion', 'tecnica de seleccion', 'nominas',
    'responsable de personas',
  ],
  ops: [
    'operations', 'ops', 'operations manager', 'business operations', 'bizops', 'office manager', 'facilities', 'workplace',
    'procurement', 'purchasing', 'buyer', 'supply chain', 'logistics', 'executive assistant', 'administrative assistant',
    'personal assistant', 'receptionist', 'admin', 'administrator', 'revops', 'revenue operations', 'sales operations',
    'sales ops', 'ea', 'chiefofstaff', 'project manager', 'program manager', 'project coordinator', 'pmo', 'it manager', 'it support',
    'it', 'sysadmin', 'system administrator', 'systems administrator', 'it administrator', 'vendor manager', 'strategy',
    'business analyst', 'process', 'warehouse', 'fleet', 'inventory', 'scrum master', 'agile coach', 'delivery manager',
    'security operations', 'secretary', 'office coordinator', 'office administrator', 'office assistant',
    // Italian
    'responsabile operativo', 'assistente di direzione', 'assistente amministrativa', 'assistente amministrativo', 'impiegato amministrativo', 'impiegata amministrativa', 'segretaria', 'segretario',
    'responsabile acquisti', 'logistica', 'acquisti', 'operations specialist', 'responsabile di progetto', 'capo progetto',
    // German
    'betriebsleiter', 'sachbearbeiter', 'sachbearbeiterin', 'assistenz der geschaftsfuhrung', 'assistenz', 'einkaufer', 'einkauferin',
    'einkauf', 'logistiker', 'projektleiter', 'projektleiterin', 'projektmanager', 'sekretar', 'sekretarin', 'teamassistenz',
    'buroleiter', 'office managerin', 'it administrator', 'systemadministrator',
    // French
    'responsable des operations', 'assistante de direction', 'assistant de direction', 'acheteur', 'acheteuse',
    'responsable logistique', 'chef de projet', 'cheffe de projet', 'office manageuse', 'assistante administrative', 'secretaire',
    // Spanish
    'gerente de operaciones', 'asistente administrativo', 'asistente administrativa', 'comprador', 'compradora', 'jefe de logistica',
    'jefa de logistica', 'jefe de proyecto', 'jefa de proyecto', 'operaciones', 'administrativo', 'administrativa', 'secretaria de direccion',
  ],
  exec: [
    'ceo', 'cto', 'cfo', 'coo', 'cmo', 'cro', 'cpo', 'cio', 'ciso', 'chro', 'cdo', 'cco', 'clo', 'cso', 'cxo', 'chiefofficer',
    'founder', 'cofounder', 'co founder', 'president', 'managing director', 'general manager', 'managing partner',
    'executive director', 'md', 'country manager', 'board member', 'chairman', 'chairwoman', 'chair',
    // Italian
    'amministratore delegato', 'amministratrice delegata', 'direttore generale', 'direttrice generale', 'fondatore', 'fondatrice',
    'presidente',
    // German
    'geschaftsfuhrer', 'geschaftsfuhrerin', 'vorstand', 'vorstandsvorsitzender', 'vorstandsvorsitzende', 'grunder', 'grunderin',
    'mitgrunder', 'inhaber', 'inhaberin',
    // French
    'pdg', 'directeur general', 'directrice generale', 'fondateur', 'fondatrice', 'cofondateur', 'cofondatrice', 'dg',
    // Spanish
    'director general', 'directora general', 'consejero delegado', 'consejera delegada', 'fundador', 'fundadora', 'cofundador',
  ],
};

/** Cross-archetype phrases that would otherwise be split into their parts. */
export const OVERRIDES: Record<string, Archetype> = {
  'sales engineer': 'sales',
  'nlp engineer': 'data',
  'ingeniero comercial': 'sales',
  'sales engineering': 'sales',
  'support engineer': 'support',
  'data engineer': 'data',
  'product designer': 'design',
  'product marketing': 'marketing',
  'product analyst': 'data',
  'marketing analyst': 'marketing',
  'sales analyst': 'sales',
  'financial analyst': 'finance',
  'hr analyst': 'hr',
  'people analyst': 'hr',
  'legal engineer': 'legal',
  'finance engineer': 'finance',
  'customer engineer': 'support',
  'security operations': 'ops',
  'sales operations': 'ops',
  'marketing operations': 'marketing',
  'people operations': 'hr',
  'legal operations': 'legal',
  'revenue operations': 'ops',
  'product operations': 'product',
  'revenue accountant': 'finance',
  'it support': 'ops',
  'design engineer': 'eng',
  'ux engineer': 'design',
  'growth engineer': 'eng',
  'growth product manager': 'product',
  'marketing designer': 'design',
  'hr generalist': 'hr',
  'talent partner': 'hr',
  'people partner': 'hr',
  'recruiting coordinator': 'hr',
  'sales coordinator': 'sales',
  'marketing coordinator': 'marketing',
  'operations analyst': 'ops',
  'finance manager': 'finance',
  'credit analyst': 'finance',
  'data protection officer': 'legal',
  'general counsel': 'legal',
  'chief of staff': 'ops',
  'product owner': 'product',
  'business development': 'sales',
  'ingenieur commercial': 'sales',
  'ingenieure commerciale': 'sales',
  'vertriebsingenieur': 'sales',
  'ingeniero de ventas': 'sales',
  'ingegnere commerciale': 'sales',
  'analista dati': 'data',
  'ingegnere dei dati': 'data',
  'ingeniero de datos': 'data',
  'ingeniera de datos': 'data',
  'ingenieur donnees': 'data',
  'ingenieur de donnees': 'data',
  'ingenieur data': 'data',
  'customer success engineer': 'support',
  'solutions architect': 'sales',
  'solution architect': 'sales',
  'data architect': 'data',
  'compliance engineer': 'legal',
  'it administrator': 'ops',
  'system administrator': 'ops',
  'systems administrator': 'ops',
  'quality assurance': 'eng',
  'program manager': 'ops',
  'project manager': 'ops',
  'office manager': 'ops',
  'key account manager': 'sales',
  'account manager': 'sales',
  'brand designer': 'design',
  'content designer': 'design',
  'people ops': 'hr',
  'sales ops': 'ops',
};

/**
 * Roots of German compounds and other glued words: a token that contains one is credited to
 * that archetype when no phrase explains it ("Senior-Vertriebsinnendienst" is sales).
 */
export const STEMS: Record<Archetype, readonly string[]> = {
  eng: ['entwickl', 'software', 'programm', 'ingenieur', 'informatik', 'engineer', 'develop'],
  data: ['daten', 'analytic', 'datascien'],
  product: ['produktmanag', 'produktown'],
  design: ['design', 'gestalt', 'grafik'],
  sales: ['vertrieb', 'verkauf', 'aussendienst', 'sales'],
  marketing: ['marketing', 'kommunikation', 'werbe'],
  support: ['kundenserv', 'kundendienst', 'kundenbetreu', 'support', 'kundenberat'],
  finance: ['buchhalt', 'controll', 'finanz', 'steuer', 'rechnungs'],
  legal: ['recht', 'jurist', 'justiz', 'anwalt', 'datenschutz'],
  hr: ['personal', 'recruit', 'lohn'],
  ops: ['einkauf', 'logist', 'assistenz', 'sachbearbeit', 'projektleit', 'betrieb'],
  exec: ['geschaftsfuhr', 'vorstand', 'grunder'],
};

/** Words that say how senior someone is, not what they do; removed before matching. */
export const SENIORITY = new Set([
  'sr', 'snr', 'senior', 'jr', 'jnr', 'junior', 'lead', 'principal', 'staff', 'associate', 'assoc', 'intern', 'internship', 'trainee',
  'apprentice', 'graduate', 'grad', 'entry', 'level', 'mid', 'i', 'ii', 'iii', 'iv', 'v', '1', '2', '3', '4', '5', 'head', 'vp', 'svp',
  'evp', 'avp', 'director', 'dir', 'manager', 'mgr', 'specialist', 'spec', 'representative', 'rep', 'coordinator', 'officer', 'team',
  'global', 'regional', 'emea', 'apac', 'amer', 'latam', 'dach', 'nordics', 'uk', 'us', 'eu', 'na', 'interim', 'acting', 'deputy', 'group',
  'chief', 'executive', 'partner', 'consultant', 'analyst', 'expert', 'advisor', 'adviser', 'contractor', 'freelance', 'remote', 'temp',
  'part', 'time', 'full', 'fte', 'new', 'hire', 'exec', 'mts', 'member', 'technical', 'tech', 'of', 'the', 'and', 'for', 'in', 'at', 'to',
  'de', 'del', 'della', 'delle', 'dei', 'di', 'da', 'des', 'du', 'la', 'le', 'les', 'el', 'los', 'las', 'der', 'die', 'das', 'und',
  'en', 'y', 'et', 'e', 'a', 'al', 'responsabile', 'leiter', 'leiterin', 'referent', 'referentin', 'senior', 'jefe', 'jefa', 'gerente',
  'directeur', 'directrice', 'direttore', 'direttrice', 'responsable', 'capo', 'stagiaire', 'stagista', 'praktikant', 'praktikantin',
  'werkstudent', 'werkstudentin', 'becario', 'becaria', 'asistente', 'assistant', 'assistente', 'charge', 'chargee', 'specialista',
  'especialista', 'mitarbeiter', 'mitarbeiterin', 'addetto', 'addetta', 'tecnico', 'tecnica', 'technicien', 'technicienne',
  'mr', 'ms', 'dr', 'dott', 'ing',
]);
