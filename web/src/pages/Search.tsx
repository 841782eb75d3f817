/** Search: to be built (issue 16). */
export function Search(_props: { params: Record<string, string> }) {
  return (
    <section>
      <h1>Search</h1>
    </section>
  );
}
