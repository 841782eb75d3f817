import type { ComponentType } from 'preact';
import { useEffect } from 'preact/hooks';
import { Link, match, navigate, useLocation } from './router';
import { useSession } from './session';
import { Access } from './pages/Access';
import { Dashboard } from './pages/Dashboard';
import { IocDetail } from './pages/IocDetail';
import { Lookup } from './pages/Lookup';
import { Search } from './pages/Search';
import { SignIn } from './pages/SignIn';
import { Sources } from './pages/Sources';
import { Taxii } from './pages/Taxii';

/**
 * The console's pages. Each path here is also one the server answers with index.html (src/http/console.ts
 * CONSOLE_PATHS): keep the two lists equal.
 */
interface Page {
  path: string;
  title: string;
  component: ComponentType<{ params: Record<string, string> }>;
  /** Shown in the navigation. */
  nav?: boolean;
}

export const PAGES: Page[] = [
  { path: '/', title: 'Dashboard', component: Dashboard, nav: true },
  { path: '/search', title: 'Search', component: Search, nav: true },
  { path: '/lookup', title: 'Lookup', component: Lookup, nav: true },
  { path: '/iocs/:id', title: 'IOC', component: IocDetail },
  { path: '/sources', title: 'Sources', component: Sources, nav: true },
  { path: '/access', title: 'Access', component: Access, nav: true },
  { path: '/taxii', title: 'TAXII', component: Taxii, nav: true },
];

export function App() {
  const { me, signOut } = useSession();
  const { path } = useLocation();

  useEffect(() => {
    if (me === null && path !== '/signin') navigate(`/signin?next=${encodeURIComponent(path + window.location.search)}`, { replace: true });
  }, [me, path]);

  if (me === undefined) return <p class="loading" role="status">Loading…</p>;
  if (me === null || path === '/signin') return <SignIn />;

  let page: Page | undefined;
  let params: Record<string, string> = {};
  for (const p of PAGES) {
    const m = match(p.path, path);
    if (m) {
      page = p;
      params = m;
      break;
    }
  }
  document.title = `${page?.title ?? 'Not found'} · SOC Defenders`;

  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <span class="brand">SOC Defenders</span>
        <nav aria-label="Main">
          <ul>
            {PAGES.filter((p) => p.nav).map((p) => (
              <li key={p.path}>
                <Link href={p.path} aria-current={page === p ? 'page' : undefined}>{p.title}</Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span>{me.account.email}</span> <span class="badge">{me.account.plan}</span>
          <button type="button" onClick={() => void signOut().then(() => navigate('/signin'))}>Sign out</button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {page ? <page.component params={params} /> : <NotFound />}
      </main>
    </>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        No such page. <Link href="/">Back to the dashboard</Link>.
      </p>
    </section>
  );
}
