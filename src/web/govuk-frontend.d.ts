// govuk-frontend ships JavaScript without type declarations. We only call
// initAll; its config is per component and we rely on the defaults, so
// the parameter is typed loosely rather than mirroring every component's options.
declare module 'govuk-frontend' {
  /**
   * Initialises every govuk-frontend component marked with `data-module`
   * inside `scopeOrConfig` (default: the whole document). Does nothing unless
   * <body> has the `govuk-frontend-supported` class.
   */
  export function initAll(scopeOrConfig?: Element | Document | Record<string, unknown>): void;
}
