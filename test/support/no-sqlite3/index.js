throw new Error(
  'sqlite3 is not installed: this stand-in only satisfies @keyv/test-suite, which never loads it',
)
