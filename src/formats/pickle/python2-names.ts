/**
 * Python 2 names in protocol 0-2 pickles, as Python 3's unpickler maps them when it loads one
 * (`fix_imports`, on by default): a (module, name) pair renamed as a whole first, else the module
 * alone. Python 3's pickler writes the reverse at protocol 2, so `subprocess.Popen` is written
 * `commands.Popen` and loads as `subprocess.Popen` again. These are the mappings of Python 3.11's
 * pickle module.
 */
const MODULES: Record<string, string> = {
  __builtin__: 'builtins', copy_reg: 'copyreg', Queue: 'queue', SocketServer: 'socketserver',
  ConfigParser: 'configparser', repr: 'reprlib', tkFileDialog: 'tkinter.filedialog',
  tkSimpleDialog: 'tkinter.simpledialog', tkColorChooser: 'tkinter.colorchooser',
  tkCommonDialog: 'tkinter.commondialog', Dialog: 'tkinter.dialog', Tkdnd: 'tkinter.dnd',
  tkFont: 'tkinter.font', tkMessageBox: 'tkinter.messagebox', ScrolledText: 'tkinter.scrolledtext',
  Tkconstants: 'tkinter.constants', Tix: 'tkinter.tix', ttk: 'tkinter.ttk', Tkinter: 'tkinter',
  markupbase: '_markupbase', _winreg: 'winreg', thread: '_thread', dummy_thread: '_dummy_thread',
  dbhash: 'dbm.bsd', dumbdbm: 'dbm.dumb', dbm: 'dbm.ndbm', gdbm: 'dbm.gnu', xmlrpclib: 'xmlrpc.client',
  SimpleXMLRPCServer: 'xmlrpc.server', httplib: 'http.client', htmlentitydefs: 'html.entities',
  HTMLParser: 'html.parser', Cookie: 'http.cookies', cookielib: 'http.cookiejar',
  BaseHTTPServer: 'http.server', 'test.test_support': 'test.support', commands: 'subprocess',
  urlparse: 'urllib.parse', robotparser: 'urllib.robotparser', urllib2: 'urllib.request',
  anydbm: 'dbm', _abcoll: 'collections.abc', cPickle: 'pickle', _elementtree: 'xml.etree.ElementTree',
  FileDialog: 'tkinter.filedialog', SimpleDialog: 'tkinter.simpledialog',
  DocXMLRPCServer: 'xmlrpc.server', SimpleHTTPServer: 'http.server', CGIHTTPServer: 'http.server',
  UserDict: 'collections', UserList: 'collections', UserString: 'collections', whichdb: 'dbm',
  StringIO: 'io', cStringIO: 'io',
};

/** `module.name` -> `module.name`, for pairs renamed as a whole (besides `exceptions.*`, below). */
const NAMES: Record<string, string> = {
  '__builtin__.xrange': 'builtins.range', '__builtin__.reduce': 'functools.reduce',
  '__builtin__.intern': 'sys.intern', '__builtin__.unichr': 'builtins.chr',
  '__builtin__.unicode': 'builtins.str', '__builtin__.long': 'builtins.int',
  '__builtin__.basestring': 'builtins.str', 'itertools.izip': 'builtins.zip',
  'itertools.imap': 'builtins.map', 'itertools.ifilter': 'builtins.filter',
  'itertools.ifilterfalse': 'itertools.filterfalse', 'itertools.izip_longest': 'itertools.zip_longest',
  'UserDict.IterableUserDict': 'collections.UserDict', 'UserDict.UserDict': 'collections.UserDict',
  'UserList.UserList': 'collections.UserList', 'UserString.UserString': 'collections.UserString',
  'whichdb.whichdb': 'dbm.whichdb', '_socket.fromfd': 'socket.fromfd',
  '_multiprocessing.Connection': 'multiprocessing.connection.Connection',
  'multiprocessing.process.Process': 'multiprocessing.context.Process',
  'multiprocessing.forking.Popen': 'multiprocessing.popen_fork.Popen',
  'urllib.ContentTooShortError': 'urllib.error.ContentTooShortError',
  'urllib.getproxies': 'urllib.request.getproxies', 'urllib.pathname2url': 'urllib.request.pathname2url',
  'urllib.quote_plus': 'urllib.parse.quote_plus', 'urllib.quote': 'urllib.parse.quote',
  'urllib.unquote_plus': 'urllib.parse.unquote_plus', 'urllib.unquote': 'urllib.parse.unquote',
  'urllib.url2pathname': 'urllib.request.url2pathname', 'urllib.urlcleanup': 'urllib.request.urlcleanup',
  'urllib.urlencode': 'urllib.parse.urlencode', 'urllib.urlopen': 'urllib.request.urlopen',
  'urllib.urlretrieve': 'urllib.request.urlretrieve', 'urllib2.HTTPError': 'urllib.error.HTTPError',
  'urllib2.URLError': 'urllib.error.URLError',
  'multiprocessing.AuthenticationError': 'multiprocessing.context.AuthenticationError',
  'multiprocessing.BufferTooShort': 'multiprocessing.context.BufferTooShort',
  'multiprocessing.ProcessError': 'multiprocessing.context.ProcessError',
  'multiprocessing.TimeoutError': 'multiprocessing.context.TimeoutError',
  'exceptions.StandardError': 'builtins.Exception', 'socket._socketobject': 'socket.SocketType',
};

/** Python 2's `exceptions` module: each of its classes is the builtin of the same name. */
const PY2_EXCEPTIONS = new Set([
  'ArithmeticError', 'AssertionError', 'AttributeError', 'BaseException', 'BufferError', 'BytesWarning',
  'DeprecationWarning', 'EOFError', 'EnvironmentError', 'Exception', 'FloatingPointError', 'FutureWarning',
  'GeneratorExit', 'IOError', 'ImportError', 'ImportWarning', 'IndentationError', 'IndexError', 'KeyError',
  'KeyboardInterrupt', 'LookupError', 'MemoryError', 'NameError', 'NotImplementedError', 'OSError',
  'OverflowError', 'PendingDeprecationWarning', 'ReferenceError', 'RuntimeError', 'RuntimeWarning',
  'StopIteration', 'SyntaxError', 'SyntaxWarning', 'SystemError', 'SystemExit', 'TabError', 'TypeError',
  'UnboundLocalError', 'UnicodeDecodeError', 'UnicodeEncodeError', 'UnicodeError', 'UnicodeTranslateError',
  'UnicodeWarning', 'UserWarning', 'ValueError', 'Warning', 'ZeroDivisionError',
]);

/** The (module, name) a Python 3 unpickler loads for a global a protocol 0-2 pickle names. */
export function python3Global(module: string, name: string): { module: string; name: string } {
  const whole = NAMES[`${module}.${name}`] ?? (module === 'exceptions' && PY2_EXCEPTIONS.has(name) ? `builtins.${name}` : undefined);
  if (whole !== undefined) {
    const dot = whole.lastIndexOf('.');
    return { module: whole.slice(0, dot), name: whole.slice(dot + 1) };
  }
  return { module: MODULES[module] ?? module, name };
}
