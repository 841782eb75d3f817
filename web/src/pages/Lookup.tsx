/** Lookup: to be built (issue 16). */
export function Lookup(_props: { params: Record<string, string> }) {
  return (
    <section>
      <h1>Lookup</h1>
    </section>
  );
}
