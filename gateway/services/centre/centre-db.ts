import { migrate, type Db, type Migration } from '../../store/database.js';

/**
 * The centre's tables, in their own database file (<dataDir>/centre.db): the register and its
 * grade history, what each gateway sent last, the centre's view of the enterprises' alarms and
 * hidden dangers, the warnings and their feedback, and the readings history for trends.
 */
export const CENTRE_MIGRATIONS: readonly Migration[] = [
  {
    id: 'centre-001-register',
    sql: `
      CREATE TABLE centre_enterprise (
        code TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        industry TEXT NOT NULL,
        dust_type TEXT,
        town TEXT NOT NULL,
        obliged INTEGER NOT NULL,
        grade TEXT NOT NULL CHECK (grade IN ('A', 'B', 'C', 'D')),
        contacts TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE centre_gateway (
        enterprise_code TEXT NOT NULL REFERENCES centre_enterprise (code) ON DELETE CASCADE,
        code TEXT NOT NULL,
        last_seq INTEGER NOT NULL DEFAULT 0,
        last_timestamp INTEGER,
        last_seen INTEGER,
        PRIMARY KEY (enterprise_code, code)
      );
      CREATE TABLE centre_grade_history (
        id INTEGER PRIMARY KEY,
        enterprise_code TEXT NOT NULL,
        from_grade TEXT,
        to_grade TEXT NOT NULL,
        user TEXT NOT NULL,
        reason TEXT NOT NULL,
        at INTEGER NOT NULL
      );
      CREATE INDEX centre_grade_history_ent ON centre_grade_history (enterprise_code, id);
    `,
  },
  {
    id: 'centre-002-intake',
    sql: `
      CREATE TABLE centre_point (
        enterprise_code TEXT NOT NULL,
        point_code TEXT NOT NULL,
        name TEXT,
        unit TEXT,
        PRIMARY KEY (enterprise_code, point_code)
      );
      CREATE TABLE centre_alarm (
        enterprise_code TEXT NOT NULL,
        alarm_key TEXT NOT NULL,
        gateway_code TEXT NOT NULL,
        point_code TEXT NOT NULL,
        alarm_type TEXT NOT NULL,
        level INTEGER NOT NULL,
        active INTEGER NOT NULL,
        state TEXT,
        message TEXT,
        started_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (enterprise_code, alarm_key)
      );
      CREATE TABLE centre_alarm_event (
        id INTEGER PRIMARY KEY,
        enterprise_code TEXT NOT NULL,
        gateway_code TEXT NOT NULL,
        alarm_key TEXT NOT NULL,
        point_code TEXT NOT NULL,
        alarm_type TEXT NOT NULL,
        level INTEGER NOT NULL,
        active INTEGER NOT NULL,
        state TEXT,
        message TEXT,
        ts INTEGER NOT NULL,
        historical INTEGER NOT NULL
      );
      CREATE INDEX centre_alarm_event_ts ON centre_alarm_event (ts);
      CREATE INDEX centre_alarm_event_ent ON centre_alarm_event (enterprise_code, ts);
      CREATE TABLE centre_hidden_danger (
        enterprise_code TEXT NOT NULL,
        danger_id TEXT NOT NULL,
        revision INTEGER NOT NULL,
        state TEXT NOT NULL,
        level TEXT NOT NULL,
        deadline INTEGER,
        report TEXT NOT NULL,
        PRIMARY KEY (enterprise_code, danger_id)
      );
    `,
  },
  {
    id: 'centre-003-warnings',
    sql: `
      CREATE TABLE centre_warning (
        warning_id TEXT PRIMARY KEY,
        dedup_key TEXT NOT NULL UNIQUE,
        enterprise_code TEXT NOT NULL,
        gateway_code TEXT,
        kind TEXT NOT NULL,
        level INTEGER NOT NULL,
        document TEXT NOT NULL,
        issued_at INTEGER NOT NULL,
        deadline INTEGER NOT NULL,
        published_at INTEGER,
        status TEXT NOT NULL CHECK (status IN ('pending', 'received', 'in_hand', 'answered')),
        feedback TEXT,
        feedback_at INTEGER
      );
      CREATE INDEX centre_warning_ent ON centre_warning (enterprise_code, issued_at);
    `,
  },
  {
    // Latest summary of each centre in the tier below (envelope type summary), by its credit code.
    id: 'centre-004-summary',
    sql: `
      CREATE TABLE centre_summary (
        enterprise_code TEXT PRIMARY KEY,
        gateway_code TEXT NOT NULL,
        at INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        historical INTEGER NOT NULL,
        summary TEXT NOT NULL
      );
    `,
  },
  {
    // The register holds centres of the tier below beside enterprises (kind centre: a region code and
    // a level, no industry, town, obligation or grade). SQLite cannot relax NOT NULL / CHECK in place,
    // so the table is rebuilt (SQLite's 12-step procedure; migrateCentre turns foreign keys off around
    // it so centre_gateway's rows are not cascaded away when the old table is dropped).
    id: 'centre-005-register-kind',
    sql: `
      CREATE TABLE centre_enterprise_new (
        code TEXT PRIMARY KEY,
        kind TEXT NOT NULL DEFAULT 'enterprise' CHECK (kind IN ('enterprise', 'centre')),
        name TEXT NOT NULL,
        industry TEXT,
        dust_type TEXT,
        town TEXT,
        obliged INTEGER,
        grade TEXT CHECK (grade IN ('A', 'B', 'C', 'D')),
        region_code TEXT,
        centre_level TEXT CHECK (centre_level IN ('county', 'city')),
        contacts TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        CHECK (kind = 'centre' OR (industry IS NOT NULL AND town IS NOT NULL AND obliged IS NOT NULL AND grade IS NOT NULL)),
        CHECK (kind = 'enterprise' OR (region_code IS NOT NULL AND centre_level IS NOT NULL AND grade IS NULL AND obliged IS NULL))
      );
      INSERT INTO centre_enterprise_new (code, kind, name, industry, dust_type, town, obliged, grade, contacts, created_at, updated_at)
        SELECT code, 'enterprise', name, industry, dust_type, town, obliged, grade, contacts, created_at, updated_at FROM centre_enterprise;
      DROP TABLE centre_enterprise;
      ALTER TABLE centre_enterprise_new RENAME TO centre_enterprise;
    `,
  },
];

export function migrateCentre(db: Db): void {
  // Foreign keys can only be switched outside a transaction; a table rebuild needs them off (see
  // centre-005) and the check afterwards proves no row lost its parent.
  db.pragma('foreign_keys = OFF');
  try {
    migrate(db, CENTRE_MIGRATIONS);
    const broken = db.pragma('foreign_key_check') as unknown[];
    if (broken.length > 0) throw new Error(`centre.db: ${broken.length} row(s) without their parent after migration`);
  } finally {
    db.pragma('foreign_keys = ON');
  }
}
