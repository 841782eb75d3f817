/** Access: to be built (issue 16). */
export function Access(_props: { params: Record<string, string> }) {
  return (
    <section>
      <h1>Access</h1>
    </section>
  );
}
