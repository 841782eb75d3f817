/** Dashboard: to be built (issue 16). */
export function Dashboard(_props: { params: Record<string, string> }) {
  return (
    <section>
      <h1>Dashboard</h1>
    </section>
  );
}
