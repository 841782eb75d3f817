import { readFileSync } from 'node:fs';
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { FILE_FORMATS } from '../connectors/formats/open-file-records.js';
import { CONFIDENCE_BANDS } from '../domain/confidence.js';
import { IOC_TYPES } from '../domain/ioc-types.js';
import { parseTlp } from '../domain/tlp.js';
import { PLAN_INPUTS } from '../domain/plans.js';
import {
  accountsCreate, accountsDisable, accountsEnable, accountsList, accountsSetPlan, accountsSetRoles,
} from './account-commands.js';
import { allowlistAdd, allowlistList, allowlistRemove } from './allowlist-commands.js';
import { webhooksAdd, webhooksList, webhooksRemove } from './webhook-commands.js';
import { auditCommand } from './audit-command.js';
import { withContext } from './context.js';
import { EXPORT_FORMATS, exportCommand } from './export-command.js';
import { importCommand, parseConfidenceOption } from './import-command.js';
import { keysCreate, keysList, keysRevoke } from './key-commands.js';
import { revokeCommand } from './revoke-command.js';
import { taxiiLoadCommand } from './taxii-command.js';
import { serveCommand } from './serve-command.js';
import { ingestCommand } from './ingest-command.js';
import { sourcesCommand } from './sources-command.js';
import { sourcesDisable, sourcesEnable, sourcesRun, sourcesSet } from './source-admin-commands.js';

/** package.json's version: dist/src/cli/main.js and src/cli/main.ts are both three levels below the checkout. */
const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('socd')
  .description('SOC Defenders: a self-hostable threat-intelligence server')
  .version(version, '-V, --version', 'print the version')
  .showHelpAfterError()
  .configureHelp({ sortSubcommands: false });

program
  .command('serve')
  .description('run the HTTP server (REST, STIX, TAXII) and the ingest scheduler; PORT, HOST, DATABASE_URL from the environment')
  .option('--no-scheduler', 'do not run sources on their schedules (also SOCD_SCHEDULER=off or ingest.scheduler: false)')
  .action(serveCommand);

program
  .command('migrate')
  .description('bring the database schema up to date (serve does it too)')
  .action(() =>
    withContext(async ({ migrated, store }) => {
      for (const m of migrated) process.stderr.write(`applied migration ${m}\n`);
      process.stderr.write(`${store.kind} schema up to date\n`);
    }),
  );

const keys = program.command('keys').description('API keys');
keys
  .command('create')
  .description("create a key (and the account if it is new); prints the key alone on stdout; never changes an existing account's plan")
  .requiredOption('--email <email>', 'account email')
  .addOption(new Option('--plan <plan>', 'plan of a new account (an existing one keeps its plan: socd accounts set-plan changes it); admin: pro with the admin role').choices(PLAN_INPUTS))
  .option('--name <name>', 'a label for the key')
  .action(keysCreate);
keys.command('list').description('list keys (prefix, account, plan, last use)').option('--json', 'JSON output').action(keysList);
keys
  .command('revoke')
  .description('revoke a key, given by its public prefix (as keys list shows it) or in full')
  .argument('<key-or-prefix>', 'e.g. sk_live_AbCd1234, or the whole sk_live_… key (never printed back)')
  .action(keysRevoke);

const accounts = program.command('accounts').description('accounts: plans (what they may see), roles (what they may do), disabling');
accounts.command('list', { isDefault: true }).description('list accounts with their plan, roles, active keys and status').option('--json', 'JSON output').action(accountsList);
accounts
  .command('create')
  .description('create an account without a key (socd keys create --email EMAIL makes one)')
  .argument('<email>')
  .addOption(new Option('--plan <plan>', 'free or pro (admin: pro with the admin role)').choices(PLAN_INPUTS).makeOptionMandatory())
  .option('--roles <roles>', 'comma-separated: submitter, analyst, admin')
  .action(accountsCreate);
accounts
  .command('set-plan')
  .description("change an account's plan, for all its keys at once (admin: pro, and the admin role added)")
  .argument('<email>')
  .addArgument(new Argument('<plan>').choices(PLAN_INPUTS))
  .action(accountsSetPlan);
accounts
  .command('set-roles')
  .description("replace an account's roles: ROLE[,ROLE] among submitter, analyst, admin, or none")
  .argument('<email>')
  .argument('<roles>')
  .action(accountsSetRoles);
accounts
  .command('disable')
  .description('refuse every key of the account at once, on every node (enable restores them)')
  .argument('<email>')
  .option('--reason <reason>', 'why (shown by accounts list and GET /api/v1/accounts)')
  .action(accountsDisable);
accounts.command('enable').description('accept the keys of a disabled account again').argument('<email>').action(accountsEnable);

program
  .command('import')
  .description('load IOCs from a file: plain list, CSV/TSV with a value column, JSON, NDJSON or a STIX 2.1 bundle')
  .argument('<file>')
  .addOption(new Option('--type <type>', 'type of every value (default: detected per value)').choices(IOC_TYPES))
  .option('--source <name>', 'source the values are recorded under', 'import')
  .option('--confidence <n>', 'confidence 0–100, or low|medium|high (15, 50, 85), of values that carry none (default 50)', parseConfidenceOption)
  .option('--tlp <level>', 'TLP of the values: clear, green, amber, amber+strict, red', (v) => {
    const t = parseTlp(v);
    if (!t) throw new InvalidArgumentError('one of clear, green, amber, amber+strict, red');
    return t;
  })
  .addOption(new Option('--format <format>', 'file format (default: from the extension or content)').choices(FILE_FORMATS))
  .option('--max-errors <n>', 'rejected lines to print', (v) => Number(v), 100)
  .option('--batch-size <n>', 'IOCs per transaction (larger loads faster; a crash loses at most one batch)', (v) => {
    const n = Number(v);
    if (!/^\d{1,7}$/.test(v) || n < 1) throw new InvalidArgumentError('a positive integer');
    return n;
  }, 50_000)
  .action(importCommand);

program
  .command('ingest')
  .description('run connectors once (every enabled source, or those named), then age IOCs; a summary table at the end')
  .option('--source <id...>', 'only these sources (ids from `socd sources`)')
  .option('--all', 'every enabled source (the default)')
  .option('--force', "ignore a source's minimum interval between downloads")
  .option('--json', 'print the run reports as JSON')
  .action(ingestCommand);

const sources = program.command('sources').description('the sources: list them, enable, disable, schedule or key them, run one now');
sources
  .command('list', { isDefault: true })
  .description('list the sources: enabled or why not, schedule, last run and its outcome, failures since the last success')
  .option('--json', 'JSON output')
  .action(sourcesCommand);
sources.command('enable').description('enable a source (kept in the database, over the configuration file)').argument('<id>').action(sourcesEnable);
sources.command('disable').description('disable a source (a run in progress finishes)').argument('<id>').action(sourcesDisable);
sources
  .command('set')
  .description("change a source's schedule or key (kept in the database; a key in SOCD_<ID>_KEY still wins)")
  .argument('<id>')
  .option('--schedule <duration>', 'e.g. 15m, 6h, 1d (at least 1m)')
  .option('--reset-schedule', 'back to the configuration file\'s schedule')
  .option('--reset-enabled', 'back to the configuration file\'s enabled')
  .option('--api-key-stdin', 'read the key from stdin (never an argument: it would stay in the shell history)')
  .option('--clear-api-key', 'remove the key set over the API or the CLI')
  .action(sourcesSet);
sources
  .command('run')
  .description('queue a run for the server running ingestion; prints the run id (socd ingest --source ID runs it here instead)')
  .argument('<id>')
  .option('--wait', 'wait for the run to end and print its outcome')
  .action(sourcesRun);

const taxii = program.command('taxii').description('TAXII server data');
taxii
  .command('load')
  .description("load a data file of medallion (the OASIS TAXII 2.1 reference server): roots, collections with their ids and permissions, objects with their date_added, statuses")
  .argument('<file>')
  .action(taxiiLoadCommand);

program
  .command('revoke')
  .description('withdraw IOCs by value: each gets a final STIX version with revoked: true')
  .argument('<values...>', 'values (defanged forms accepted)')
  .addOption(new Option('--type <type>', 'type of the values (default: detected)').choices(IOC_TYPES))
  .action(revokeCommand);

const allowlist = program.command('allowlist').description('values never served, whatever a source says: adding one revokes what it matches');
allowlist
  .command('add')
  .description('add an entry (a value, a CIDR or *.domain) and revoke the active IOCs it matches; prints the entry id')
  .argument('<value>', 'an IOC value (defanged forms accepted), a CIDR such as 203.0.113.0/24, or a domain suffix such as *.example.com')
  .requiredOption('--reason <reason>', 'why it is allowed')
  .option('--expires <time>', 'ISO 8601: the entry stops matching then')
  .action(allowlistAdd);
allowlist.command('list', { isDefault: true }).description('list the entries (author cli: added with socd)').option('--json', 'JSON output').action(allowlistList);
allowlist
  .command('remove')
  .description('remove an entry; the values it held back come back at their next sighting, as new STIX objects')
  .argument('<id>', 'the entry id (from allowlist list)')
  .action(allowlistRemove);

const webhooks = program.command('webhooks').description('notifications pushed to JSON, Slack or Teams receivers (README "Webhooks")');
webhooks
  .command('add')
  .description('add a global webhook; prints its id on stdout, and its signing secret once on stderr')
  .argument('<name>', 'a name for it')
  .argument('<url>', 'the https URL to post to')
  .requiredOption('--events <events>', 'comma-separated: source.failing, source.recovered, source.stale, iocs.sector, allowlist.hit')
  .option('--format <format>', 'json (default), slack or teams')
  .option('--sectors <sectors>', 'comma-separated sector slugs watched by iocs.sector (default: any)')
  .option('--min-confidence <score>', 'lowest score told by iocs.sector (default 70)')
  .action(webhooksAdd);
webhooks.command('list', { isDefault: true }).description('list every webhook with its last attempt (never a secret)').option('--json', 'JSON output').action(webhooksList);
webhooks.command('remove').description('remove a webhook and its deliveries').argument('<id>', 'the webhook id (from webhooks list)').action(webhooksRemove);

program
  .command('audit')
  .description('show the audit log, newest first: who changed what, when, from where (API and CLI changes, failed sign-in bursts)')
  .option('--action <action>', 'an exact action (allowlist.add) or a prefix ending in .* (key.*)')
  .option('--email <email>', "the acting account's email")
  .option('--target <target>', 'the exact target (an allow-list value, a key prefix, an email, an address…)')
  .option('--since <time>', 'ISO 8601: records at or after it')
  .option('--until <time>', 'ISO 8601: records before it')
  .option('--limit <n>', 'at most this many records (default 50; maximum as the REST lists)')
  .option('--json', 'JSON output')
  .action(auditCommand);

program
  .command('export')
  .description('write the selected IOCs as a STIX 2.1 bundle, JSON or CSV (filters as GET /api/v1/iocs)')
  .addOption(new Option('--format <format>', 'output format').choices(EXPORT_FORMATS).default('stix'))
  .option('--out <file>', 'write to this file (default: stdout)')
  .option('--type <types>', 'one type or a comma list')
  .option('--since <time>', 'ISO 8601: IOCs added after it')
  .option('--industry <sector>', 'CISA sector slug')
  .addOption(new Option('--confidence <band>', 'confidence band').choices(CONFIDENCE_BANDS))
  .option('--source <id>', 'source id')
  .option('--status <status>', 'active (default), revoked or all')
  .option('--q <value>', 'one exact value')
  .option('--limit <n>', 'at most this many IOCs')
  .action(exportCommand);

/**
 * A reader that stops reading (`socd export | head`, `socd sources | less` quit early) is not a failure: what was
 * asked for went out up to where it was wanted. Node ignores SIGPIPE, so a write to the closed pipe fails with
 * EPIPE instead; the command then ends quietly with status 0 — nothing on stderr — as it would in a shell pipeline.
 */
let stdoutClosed = false;
const code = (err: unknown) => (err as NodeJS.ErrnoException | null | undefined)?.code;
const AFTER_CLOSE = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_WRITE_AFTER_END']);
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') {
    // Later writes are dropped; a command streaming to stdout sees its pipeline fail and ends below.
    stdoutClosed = true;
    return;
  }
  process.stderr.write(`socd: cannot write to stdout: ${err.message}\n`);
  process.exit(1);
});

program.parseAsync(process.argv).catch((err: unknown) => {
  // Only stdout's own failure: an EPIPE of a database or feed connection is a real error.
  if (stdoutClosed && AFTER_CLOSE.has(code(err) ?? '')) process.exit(0);
  process.stderr.write(`socd: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
