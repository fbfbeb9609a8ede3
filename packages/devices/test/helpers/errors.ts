/** The stable `code` of what `fn` throws, or undefined when it does not throw (typed-error assertions). */
export const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
};
