/** IocDetail: to be built (issue 16). */
export function IocDetail(_props: { params: Record<string, string> }) {
  return (
    <section>
      <h1>IocDetail</h1>
    </section>
  );
}
