import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { passwordProblem, hashPassword, verifyAgainstDecoy, verifyPassword } from '../../auth/passwords.ts';
import {
  openBrowserSession,
  SESSION_COOKIE,
  SESSION_LIFETIME_MS,
  hashSessionToken,
} from '../../auth/browser-sessions.ts';
import { hashInvitationToken } from '../../auth/invitations.ts';
import { sortedAtoms, roleAtoms } from '../../auth/permissions.ts';
import { nowIso, newId } from '../../store/ids.ts';
import type { BrowserSessionRow } from '../../store/repositories/browser-sessions.ts';
import type { MemberRow } from '../../store/repositories/members.ts';
import { ApiRefusal, conflict, forbidden, invalidApiKey, notFound } from '../errors.ts';
import type { ServiceContext } from '../context.ts';
import { requireCsrfToken } from '../authentication.ts';
import { memberRecord } from '../records.ts';
import { noteAudit } from '../audit.ts';
import { parseBody } from './body.ts';

const Email = z
  .string()
  .trim()
  .toLowerCase()
  .max(320)
  .regex(/^[^\s@]+@[^\s@]+$/, 'email must be an address like ada@example.com');
const Password = z.string().superRefine((value, ctx) => {
  const problem = passwordProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
const Name = z.string().trim().min(1, 'name must not be empty').max(200);

const SignInSchema = z.strictObject({ email: Email, password: z.string().max(1024) });
const SetupSchema = z.strictObject({ email: Email, name: Name, password: Password });
const AcceptSchema = z.strictObject({ token: z.string().min(1).max(200), name: Name, password: Password });

const WRONG_CREDENTIALS = 'Wrong email or password.';

function tooManyAttempts(retryAfter: number): ApiRefusal {
  const refusal = new ApiRefusal(
    429,
    'invalid_request_error',
    'too_many_attempts',
    `Too many failed attempts from this address (for this email, or for many). Wait ${retryAfter} s before trying again.`,
  );
  refusal.headers = { 'retry-after': String(retryAfter) };
  return refusal;
}

// An address signs in to one member per organization, so whether it is used elsewhere is nobody's
// business: invitations and setup answer alike for an address of another organization and a new one.
// Sign-in then finds the member by address and password, and no two members of one address share a
// password (refusing one that is in use tells only someone who already knows it).

/** Whether a member of this organization already signs in with the address. */
export async function signsInHere(
  context: ServiceContext,
  email: string,
  organizationId: string,
): Promise<boolean> {
  return (await context.store.members.listByEmail(email)).some((m) => m.organization_id === organizationId);
}

/** The member among those of one address whose password this is; as slow when there is none. */
async function memberWithPassword(members: MemberRow[], password: string): Promise<MemberRow | undefined> {
  if (members.length === 0) await verifyAgainstDecoy(password);
  for (const member of members) if (await verifyPassword(password, member.password_hash!)) return member;
  return undefined;
}

async function requireOwnPassword(
  context: ServiceContext,
  email: string,
  password: string,
  organizationId: string,
): Promise<void> {
  const others = (await context.store.members.listByEmail(email)).filter(
    (m) => m.organization_id !== organizationId && m.password_hash,
  );
  if (await memberWithPassword(others, password))
    throw conflict(
      'password_in_use',
      `${email} already signs in to another organization with this password: choose another one, so that signing in tells the two apart.`,
      'password',
    );
}

/** What the console needs to render a signed-in member: who, where, what they may do, the CSRF token. */
async function sessionBody(context: ServiceContext, member: MemberRow, session: BrowserSessionRow) {
  const organization = await context.store.organizations.get(member.organization_id);
  const roles = await context.store.roles.getMany(member.role_ids);
  return {
    member: memberRecord(member),
    organization: organization ?? { id: member.organization_id },
    permissions: sortedAtoms(roleAtoms(roles)),
    csrf_token: session.csrf_token,
  };
}

async function signIn(
  context: ServiceContext,
  request: FastifyRequest,
  reply: FastifyReply,
  member: MemberRow,
) {
  const { token, session } = await openBrowserSession(context.store, member);
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: request.protocol === 'https',
    maxAge: SESSION_LIFETIME_MS / 1000,
  });
  noteAudit(request, { member, target: member.id });
  return sessionBody(context, member, session);
}

/** Browser sign-in: first-run setup, sign-in and out, the current session, accepting an invitation. */
export function registerAuthRoutes(app: FastifyInstance, context: ServiceContext): void {
  const { store, signInLimiter } = context;

  app.get('/v1/auth/state', { config: { auth: 'none' } }, async () => ({
    setup_required: !(await store.members.hasSignIn()),
  }));

  /** The owner key proves the caller runs this service, so nobody else can claim the organization. */
  app.post(
    '/v1/auth/setup',
    { config: { auth: 'optional', action: 'auth.setup' } },
    async (request, reply) => {
      const principal = request.principal;
      if (!principal?.key)
        throw (
          request.authRefusal ??
          invalidApiKey(
            'Setting up sign-in needs the owner API key printed when the service first started: send it as "Authorization: Bearer <owner key>".',
          )
        );
      const roles = await store.roles.getMany(principal.owner.role_ids);
      if (principal.key.permissions !== null || !roles.some((role) => role.builtin === 'owner'))
        throw forbidden(
          'owner_key_required',
          'Setting up sign-in needs an unrestricted key of an owner, such as the owner key printed at first start.',
        );
      if (await store.members.hasSignIn(principal.organizationId))
        throw conflict(
          'setup_already_done',
          'Sign-in is already set up for this organization: sign in (POST /v1/auth/sign_in), or ask an owner for an invitation.',
        );
      const body = parseBody(
        SetupSchema,
        request.body,
        '{"email": "ada@example.com", "name": "Ada", "password": "at least 12 characters"}',
      );
      if (await signsInHere(context, body.email, principal.organizationId))
        throw conflict(
          'email_taken',
          `${body.email} already signs in to this organization; use another address.`,
          'email',
        );
      await requireOwnPassword(context, body.email, body.password, principal.organizationId);
      await store.members.setSignIn(principal.owner.id, {
        name: body.name,
        email: body.email,
        passwordHash: await hashPassword(body.password),
      });
      const member = (await store.members.get(principal.owner.id))!;
      return signIn(context, request, reply, member);
    },
  );

  app.post(
    '/v1/auth/sign_in',
    { config: { auth: 'none', action: 'auth.sign_in' } },
    async (request, reply) => {
      const body = parseBody(SignInSchema, request.body, '{"email": "ada@example.com", "password": "..."}');
      const retryAfter = await signInLimiter.retryAfter(body.email, request.ip);
      const members = (await store.members.listByEmail(body.email)).filter((m) => m.password_hash);
      // A refusal goes to the audit log of the organization the address first signed in to.
      if (members[0]) noteAudit(request, { member: members[0] });
      if (retryAfter > 0) throw tooManyAttempts(retryAfter);
      const member = await memberWithPassword(members, body.password);
      if (!member) {
        await signInLimiter.recordFailure(body.email, request.ip);
        noteAudit(request, { target: body.email });
        throw new ApiRefusal(401, 'authentication_error', 'invalid_credentials', WRONG_CREDENTIALS);
      }
      return signIn(context, request, reply, member);
    },
  );

  app.get('/v1/auth/session', { config: { auth: 'optional' } }, async (request) => {
    const principal = request.principal;
    if (!principal?.session)
      throw (
        request.authRefusal ??
        new ApiRefusal(
          401,
          'authentication_error',
          'not_signed_in',
          'Not signed in: POST /v1/auth/sign_in first.',
        )
      );
    return sessionBody(context, principal.owner, principal.session);
  });

  app.post(
    '/v1/auth/sign_out',
    { config: { auth: 'optional', action: 'auth.sign_out' } },
    async (request, reply) => {
      // Signing out twice, or after the session expired, is still a sign-out; a forged request is not.
      // Only a key that authenticates the request vouches for it: any other Authorization header (none,
      // unknown, another scheme) leaves the cookie in charge, and a cookie change needs its CSRF token.
      const token = request.cookies[SESSION_COOKIE];
      if (token && !request.principal?.key) {
        const session =
          request.principal?.session ?? (await context.authenticator.authenticateSession(token))?.session;
        if (session) requireCsrfToken(request, session);
      }
      if (token) await store.browserSessions.delete(hashSessionToken(token));
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send();
    },
  );

  app.post(
    '/v1/auth/accept_invitation',
    { config: { auth: 'none', action: 'invitation.accept' } },
    async (request, reply) => {
      const body = parseBody(
        AcceptSchema,
        request.body,
        '{"token": "from the invitation link", "name": "Ada", "password": "at least 12 characters"}',
      );
      const retryAfter = await signInLimiter.retryAfter(null, request.ip);
      if (retryAfter > 0) throw tooManyAttempts(retryAfter);
      const invitation = await store.invitations.findByHash(hashInvitationToken(body.token));
      const at = nowIso();
      if (!invitation || invitation.accepted_at || invitation.expires_at <= at) {
        await signInLimiter.recordFailure(null, request.ip);
        if (invitation) noteAudit(request, { target: invitation.id });
        throw notFound(
          'invitation_invalid',
          invitation?.accepted_at
            ? 'This invitation was already used. Sign in with the email it was sent to, or ask for a new invitation.'
            : invitation
              ? 'This invitation has expired. Ask a member with Members Manage for a new one.'
              : 'This invitation link is not valid: copy the whole link, or ask for a new invitation.',
        );
      }
      if (await signsInHere(context, invitation.email, invitation.organization_id))
        throw conflict(
          'email_taken',
          `${invitation.email} already signs in to this organization; sign in instead.`,
        );
      await requireOwnPassword(context, invitation.email, body.password, invitation.organization_id);
      const roles = (await store.roles.getMany(invitation.role_ids)).filter(
        (role) => role.organization_id === invitation.organization_id,
      );
      const member: MemberRow = {
        id: newId('member'),
        organization_id: invitation.organization_id,
        kind: 'user',
        name: body.name,
        role_ids: roles.map((role) => role.id).sort(),
        created_at: at,
        email: invitation.email,
        password_hash: await hashPassword(body.password),
        deleted_at: null,
      };
      if (!(await store.invitations.accept(invitation.id, member, at)))
        throw notFound('invitation_invalid', 'This invitation was already used. Sign in instead.');
      const answer = await signIn(context, request, reply, member);
      noteAudit(request, { target: invitation.id });
      return answer;
    },
  );
}
