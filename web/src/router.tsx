import { createContext, type ComponentChildren, type JSX } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';

/**
 * A small history router: paths are the server's console routes (src/http/console.ts serves index.html for each).
 * `navigate` pushes a URL; links are plain <a href> with a click handler, so they work with the keyboard, open in a
 * new tab and show their target.
 */
interface Location {
  path: string;
  query: URLSearchParams;
}

const Ctx = createContext<Location>({ path: '/', query: new URLSearchParams() });

const current = (): Location => ({ path: window.location.pathname, query: new URLSearchParams(window.location.search) });

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function RouterProvider({ children }: { children: ComponentChildren }) {
  const [loc, setLoc] = useState<Location>(current);
  useEffect(() => {
    const on = () => setLoc(current());
    window.addEventListener('popstate', on);
    return () => window.removeEventListener('popstate', on);
  }, []);
  return <Ctx.Provider value={loc}>{children}</Ctx.Provider>;
}

export function useLocation(): Location {
  return useContext(Ctx);
}

/** An in-console link. Only ever given console paths built by our code (never an IOC value). */
export function Link(props: JSX.HTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const { href, onClick, ...rest } = props;
  return (
    <a
      {...rest}
      href={href}
      onClick={(e) => {
        if (typeof onClick === 'function') onClick(e);
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(href);
      }}
    />
  );
}

/** `/iocs/:id` → { id } when `pattern` matches `path`. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.replace(/\/+$/, '').split('/');
  const a = path.replace(/\/+$/, '').split('/');
  if (p.length !== a.length) return undefined;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i]!.startsWith(':')) {
      try {
        out[p[i]!.slice(1)] = decodeURIComponent(a[i]!);
      } catch {
        return undefined;
      }
    } else if (p[i] !== a[i]) return undefined;
  }
  return out;
}
