/** Sources: to be built (issue 16). */
export function Sources(_props: { params: Record<string, string> }) {
  return (
    <section>
      <h1>Sources</h1>
    </section>
  );
}
