import { useSession } from '../session';
import { Accounts } from '../components/access/Accounts';
import { AuditLog } from '../components/access/AuditLog';
import { MyKeys } from '../components/access/MyKeys';

/**
 * Access: your own API keys (every account), and for administrators the accounts of the server and the audit log.
 * Accounts without the admin role are told so instead of meeting a refusal.
 */
export function Access(_props: { params: Record<string, string> }) {
  const { can } = useSession();
  const admin = can('admin');
  return (
    <section class="access-page">
      <h1>Access</h1>
      <MyKeys />
      {admin ? (
        <>
          <Accounts />
          <AuditLog />
        </>
      ) : (
        <p class="notice">Managing accounts and reading the audit log need the admin role, which your account does not hold.</p>
      )}
    </section>
  );
}
