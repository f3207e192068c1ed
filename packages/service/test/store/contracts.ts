// Every contract suite of the store, in one call: an implementation passes them all or is not a Store.
import type { OpenStore } from './contract.ts';
import { apiKeysContract } from './api-keys.contract.ts';
import { auditContract } from './audit.contract.ts';
import { browserSessionsContract } from './browser-sessions.contract.ts';
import { connectorsContract } from './connectors.contract.ts';
import { invitationsContract } from './invitations.contract.ts';
import { mcpSessionsContract } from './mcp-sessions.contract.ts';
import { membersContract } from './members.contract.ts';
import { oauthClientsContract } from './oauth-clients.contract.ts';
import { oauthGrantsContract } from './oauth-grants.contract.ts';
import { organizationsContract } from './organizations.contract.ts';
import { rolesContract } from './roles.contract.ts';
import { settingsContract } from './settings.contract.ts';
import { signInAttemptsContract } from './sign-in-attempts.contract.ts';
import { transactionsContract } from './transactions.contract.ts';
import { tunnelsContract } from './tunnels.contract.ts';

export function storeContracts(open: OpenStore): void {
  organizationsContract(open);
  membersContract(open);
  rolesContract(open);
  apiKeysContract(open);
  tunnelsContract(open);
  mcpSessionsContract(open);
  browserSessionsContract(open);
  invitationsContract(open);
  signInAttemptsContract(open);
  auditContract(open);
  connectorsContract(open);
  settingsContract(open);
  oauthClientsContract(open);
  oauthGrantsContract(open);
  transactionsContract(open);
}
