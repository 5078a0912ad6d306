"""Families of environments, one subpackage each (general, code, ...).

Each family sits on the core contract (`synth.Family`): it generates tuples into a run, opens live
environments for them, and supplies gold solutions and null controls; grading is done by the
verifiers it names (`synth.verifiers`). Families never import the CLI or the stages. Importing this
package registers nothing: each family is a `synth.plugins` entry point of its own.
"""
