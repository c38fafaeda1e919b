import { setup, createActor, fromPromise } from "xstate";
const m = setup({ actors: { work: fromPromise(async () => 5) } }).createMachine({ initial: "a", context: {}, states: { a: { on: { x: {}, go: "b" } }, b: { invoke: { src: "work", onDone: "a" } } } });
const a = createActor(m).start();
const s0 = a.getSnapshot(); a.send({ type: "nope" }); console.log("unhandled same?", s0 === a.getSnapshot());
const s1 = a.getSnapshot(); a.send({ type: "x" }); console.log("handled targetless same?", s1 === a.getSnapshot());
a.send({ type: "go" }); const ch = a.getSnapshot().children; console.log(Object.keys(ch), Object.values(ch)[0]?.logic === m.implementations.actors.work, Object.values(ch)[0]?.getSnapshot().status);
a.subscribe(s => console.log("snap", s.value, Object.keys(s.children)));
