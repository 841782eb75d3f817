/** Taxii: to be built (issue 16). */
export function Taxii(_props: { params: Record<string, string> }) {
  return (
    <section>
      <h1>Taxii</h1>
    </section>
  );
}
