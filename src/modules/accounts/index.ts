/** The accounts module's public surface: what other modules and the composition roots may use. */
export { authenticate } from './api-auth.js';
export { TokenVerifier } from './auth.service.js';
export { accountRouter } from './pages/account.routes.js';
export { authRouter } from './pages/auth.routes.js';
export { hubAccountSecurityRouter } from './pages/hub-account-security.routes.js';
export { webSession } from './pages/session.js';
export { signInCodeRouter, twoFactorRouter } from './pages/two-factor.routes.js';
export { currentCodeFor, enrolWithKnownSecret } from './second-factor.service.js';
export { usersRouter } from './pages/users.routes.js';
export { hashPassword, setPassword } from './password.service.js';
export { deleteExpiredSessions } from './session.service.js';
export { findOrCreateLinkUser, findUserByEmail, findUserMailContact } from './user.repository.js';
export { createUserWithToken, revokeUserTokens } from './user.service.js';
export { createTokenForEmail, listTokensForAdmin, revokeAllTokensOfUser, revokeToken, userIdForEmail, CLI_ACTOR } from './token.service.js';
