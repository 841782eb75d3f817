import { useEffect, useState } from 'preact/hooks';
import { Link } from '../router';
import { fmtNumber } from '../format';
import { useSession } from '../session';
import { CopyButton, ProblemNote, useApi } from '../components/admin/common';
import { integrations, KEY_PLACEHOLDER, type TaxiiContext } from '../components/taxii/integrations';

/** GET /api/v1/collections (Pro). */
interface CollectionsAnswer {
  discovery_url: string;
  data: Array<{
    api_root_url: string;
    id: string;
    /** A built-in collection's short name (all-iocs, ips…), usable in URLs in place of the id. */
    alias?: string | null;
    title: string;
    description?: string;
    can_read: boolean;
    can_write: boolean;
    object_count: number | null;
    objects_url: string;
  }>;
}

const slash = (u: string) => (u.endsWith('/') ? u : `${u}/`);

/**
 * TAXII: the collections this account can use and ready-to-paste settings for SIEMs and TIPs. The username is the
 * account email; the password is an API key, which the console never knows: the settings say where it goes. A free
 * account is told that TAXII needs the Pro plan and what Pro gives, without asking the server for what it cannot have.
 */
export function Taxii(_props: { params: Record<string, string> }) {
  const { me } = useSession();
  const pro = !!me?.features.taxii;
  const cols = useApi<CollectionsAnswer>(pro ? 'collections' : null);
  const [chosen, setChosen] = useState<string | undefined>();
  const readable = cols.data?.data.filter((c) => c.can_read) ?? [];

  useEffect(() => {
    if (chosen === undefined && readable.length > 0) setChosen((readable.find((c) => c.alias === 'all-iocs' || c.id === 'all-iocs') ?? readable[0])!.id);
  }, [cols.data]);

  if (!pro) {
    return (
      <section class="taxii-page">
        <h1>TAXII</h1>
        <div class="notice">
          <p>
            <strong>TAXII needs the Pro plan.</strong> Your account is on the {me?.account.plan ?? 'free'} plan, which includes the REST API
            (search, look-ups, CSV and JSON exports).
          </p>
          <p>The Pro plan adds:</p>
          <ul>
            <li>a TAXII 2.1 server (discovery, API root, collections: all IOCs, one per IOC type, high confidence, one per sector) that
              Microsoft Sentinel, Splunk, Elastic, QRadar, OpenCTI and any TAXII 2.1 client can poll with your email and an API key;</li>
            <li>STIX 2.1 bundles of any search, and each IOC's STIX version history.</li>
          </ul>
          <p>Ask an administrator to move your account to the Pro plan.</p>
        </div>
      </section>
    );
  }

  const col = readable.find((c) => c.id === chosen);
  const ctx: TaxiiContext | undefined =
    cols.data && col
      ? {
          discoveryUrl: cols.data.discovery_url,
          apiRootUrl: slash(col.api_root_url),
          collectionId: col.id,
          collectionTitle: col.title,
          objectsUrl: col.objects_url,
          email: me!.account.email,
        }
      : undefined;

  return (
    <section class="taxii-page">
      <h1>TAXII</h1>
      <p>
        Point a TAXII 2.1 client at this server with HTTP Basic authentication: the username is your account email, the password is{' '}
        <strong>one of your API keys</strong> (create one on the <Link href="/access">Access</Link> page; the console never shows a key again
        after it is made, so the settings below say <code>{KEY_PLACEHOLDER}</code> where it goes).
      </p>
      {cols.error ? <ProblemNote error={cols.error} what="TAXII" /> : null}
      {cols.loading && !cols.data && <p role="status">Loading collections…</p>}
      {cols.data && (
        <>
          <dl class="facts taxii-facts">
            <dt>Discovery URL</dt>
            <dd>
              <code id="taxii-discovery">{cols.data.discovery_url}</code> <CopyButton text={cols.data.discovery_url} label="Copy the discovery URL" />
            </dd>
            <dt>Username</dt>
            <dd>
              <code>{me!.account.email}</code>
            </dd>
            <dt>Password</dt>
            <dd>{KEY_PLACEHOLDER} (an API key of this account)</dd>
          </dl>
          <h2>Collections</h2>
          <table class="collections">
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Collection ID</th>
                <th scope="col">Objects</th>
                <th scope="col">Read</th>
                <th scope="col">Write</th>
                <th scope="col">API root</th>
              </tr>
            </thead>
            <tbody>
              {cols.data.data.map((c) => (
                <tr key={`${c.api_root_url} ${c.id}`} data-collection={c.id}>
                  <td>
                    {c.title}
                    {c.description && <div class="muted">{c.description}</div>}
                  </td>
                  <td>
                    <code class="wrap">{c.id}</code>
                    {c.alias && <div class="muted">alias {c.alias}</div>}
                  </td>
                  <td class="count">{c.object_count === null ? '—' : fmtNumber(c.object_count)}</td>
                  <td>{c.can_read ? 'yes' : 'no'}</td>
                  <td>{c.can_write ? 'yes' : 'no'}</td>
                  <td>
                    <code class="wrap">{c.api_root_url}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {cols.data.data.length === 0 && <p class="muted">No collection is open to this account.</p>}
          {readable.length > 0 && (
            <>
              <h2>Client settings</h2>
              <label for="taxii-collection">Collection for the settings</label>{' '}
              <select id="taxii-collection" value={chosen} onChange={(e) => setChosen(e.currentTarget.value)}>
                {readable.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.title} ({c.id})
                  </option>
                ))}
              </select>
              {ctx && <Settings ctx={ctx} />}
            </>
          )}
        </>
      )}
    </section>
  );
}

function Settings({ ctx }: { ctx: TaxiiContext }) {
  return (
    <div class="integrations">
      {integrations(ctx).map((i) => {
        const asText = i.snippet?.text ?? i.fields.map((f) => `${f.name}: ${f.value}`).join('\n');
        return (
          <section key={i.id} class="integration" aria-labelledby={`int-${i.id}`} data-integration={i.id}>
            <h3 id={`int-${i.id}`}>{i.product}</h3>
            <p class="muted">{i.where}</p>
            {i.fields.length > 0 && (
              <table class="fields">
                <thead>
                  <tr>
                    <th scope="col">Field</th>
                    <th scope="col">Value</th>
                  </tr>
                </thead>
                <tbody>
                  {i.fields.map((f) => (
                    <tr key={f.name}>
                      <td>{f.name}</td>
                      <td>{f.value === KEY_PLACEHOLDER ? <em>{f.value}</em> : <code class="wrap">{f.value}</code>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {i.snippet && <pre class="snippet" aria-label={`${i.product} ${i.snippet.label}`}>{i.snippet.text}</pre>}
            {i.notes.map((n) => (
              <p key={n} class="hint">
                {n}
              </p>
            ))}
            <CopyButton text={asText} label={`Copy the ${i.product} settings`} />
          </section>
        );
      })}
    </div>
  );
}
