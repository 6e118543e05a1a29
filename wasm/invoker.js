// Emscripten JS library (--js-library, after -lembind): the invoker that embind builds for every
// bound function and method, in place of embind's own. It wires the arguments, calls into the
// module, frees what the wiring allocated (a std::string argument's copy in the heap, a smart
// pointer's handle) whether the call returns or throws, and throws the JS error that a refused
// call left (bindings.cpp, guarded(): the module returns normally, so the call's C++ objects are
// destroyed in every engine, the pthread one's JS exceptions included). With embind 3.1.6's own
// invokers and the error thrown through the module, every refused call leaked its string
// arguments (48-168 bytes per call, measured; tests/js/errors-leak.test.mjs). One invoker for
// every engine: a closure, as embind's own with DYNAMIC_EXECUTION=0, so no code is generated at
// run time. (No Asyncify or tracing support: the engines use neither.)
mergeInto(LibraryManager.library, {
  $craftInvokerFunction__deps: ['$throwBindingError', '$runDestructors'],
  $craftInvokerFunction: function (humanName, argTypes, classType, cppInvokerFunc, cppTargetFunc) {
    if (argTypes.length < 2) throwBindingError(`${humanName}: an invoker needs a return type and a this type`);
    const expected = argTypes.length - 2;
    const isMethod = argTypes[1] !== null && classType !== null;
    const retType = argTypes[0];
    const returns = retType.name !== 'void';
    // Types without a destructorFunction free what they wire through a list of destructors
    // (embind's "destructor stack"); the others are freed one by one with their destructorFunction.
    let useStack = false;
    for (let i = 1; i < argTypes.length; ++i) {
      if (argTypes[i] !== null && argTypes[i].destructorFunction === undefined) useStack = true;
    }
    // callArgs[j] (j >= 1) is the wired value of argTypes[j + shift]: `this` first for a method.
    const shift = isMethod ? 0 : 1;
    let spare = null;
    const invoker = function () {
      if (arguments.length !== expected) {
        throwBindingError(`function ${humanName} called with ${arguments.length} arguments, expected ${expected} args!`);
      }
      const destructors = useStack ? [] : null;
      // The arguments' array of the last call that ended, reused (a call made while another is
      // under way, from JS that the first one runs, takes a new one).
      let callArgs = spare;
      spare = null;
      if (callArgs === null) callArgs = [cppTargetFunc];
      let rv;
      try {
        if (isMethod) callArgs.push(argTypes[1]['toWireType'](destructors, this));
        for (let i = 0; i < expected; ++i) callArgs.push(argTypes[i + 2]['toWireType'](destructors, arguments[i]));
        rv = cppInvokerFunc.apply(null, callArgs);
      } finally {
        if (useStack) {
          runDestructors(destructors);
        } else {
          for (let j = 1; j < callArgs.length; ++j) {
            const d = argTypes[j + shift].destructorFunction;
            if (d !== null) d(callArgs[j]);
          }
        }
        callArgs.length = 1;
        spare = callArgs;
      }
      const result = returns ? retType['fromWireType'](rv) : undefined;
      // A refused call (wasm/bindings.cpp, guarded()) returned a placeholder and left its error:
      // the placeholder is released (a class handle deleted) and the error thrown.
      const refused = Module['recsysPendingError'];
      if (refused !== undefined) {
        Module['recsysPendingError'] = undefined;
        if (result !== null && typeof result === 'object' && typeof result.delete === 'function') result.delete();
        throw refused;
      }
      return result;
    };
    // Named as embind names its invokers (Recommender.recommend, …), for stack traces.
    Object.defineProperty(invoker, 'name', { value: humanName });
    return invoker;
  },
});
