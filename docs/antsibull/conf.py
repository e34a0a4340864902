# Sphinx configuration of the ioconnect.fleet docs site (built by docs/build-docs.sh, `make docs`).
# Started from `antsibull-docs sphinx-init`; changed: project names, no intersphinx (the site is built offline, so
# inventories cannot be fetched). The guides are the collection's extra docs (docs/docsite/), rendered by
# antsibull-docs like the plugins.

project = 'ioconnect.fleet'
copyright = 'ioconnect.fleet contributors'
title = 'ioconnect.fleet: io.Connect Desktop and Browser fleet configuration'
html_short_title = 'ioconnect.fleet'

extensions = ['sphinx.ext.autodoc', 'sphinx_antsibull_ext']

pygments_style = 'ansible'
highlight_language = 'YAML+Jinja'

html_theme = 'sphinx_ansible_theme'
html_show_sphinx = False
display_version = False
html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False
html_theme_options = {
    'collapse_navigation': False,
    'navigation_depth': 3,
}

default_role = 'any'
nitpicky = True
# Some examples of the guides are abbreviated ("{...}"), which Pygments cannot lex as strict JSON: not an error of
# the site.
suppress_warnings = ['misc.highlighting_failure']

# Offline build, so no intersphinx: references to the Ansible documentation (ansible.builtin plugins,
# ansible.windows plugins, the configuration appendix...) are resolved to docs.ansible.com by this table and rule
# instead of failing as undefined labels. Any other undefined label still fails the build.
ANSIBLE_DOCS = 'https://docs.ansible.com/projects/ansible/latest/'
ANSIBLE_DOCS_LABELS = {
    'ansible_configuration_settings': 'reference_appendices/config.html',
    'common_return_values': 'reference_appendices/common_return_values.html',
    'action_plugins': 'plugins/action.html',
    'collections_keyword': 'collections_guide/collections_using_playbooks.html',
    'list_of_collections': 'collections/index.html',
}
OWN_PREFIX = 'ansible_collections.ioconnect.fleet.'


def _ansible_docs_url(reftype, target):
    if reftype == 'envvar':
        # ansible-core's own settings (E(ANSIBLE_CALLBACKS_ENABLED)); the collection's are pages of this site.
        if target.startswith('ANSIBLE_'):
            return ANSIBLE_DOCS + 'reference_appendices/config.html#envvar-' + target
        return None
    if target in ANSIBLE_DOCS_LABELS:
        return ANSIBLE_DOCS + ANSIBLE_DOCS_LABELS[target]
    if target.endswith('_plugins') and target.count('_') == 1:
        return ANSIBLE_DOCS + 'plugins/' + target[:-len('_plugins')] + '.html'
    if target.startswith('ansible_collections.') and not target.startswith(OWN_PREFIX):
        # ansible_collections.NS.NAME.PLUGIN_TYPE[__ANCHOR] -> collections/NS/NAME/PLUGIN_TYPE.html[#ANCHOR]
        page, _sep, anchor = target[len('ansible_collections.'):].partition('__')
        parts = page.split('.')
        if len(parts) == 3:
            url = ANSIBLE_DOCS + 'collections/' + '/'.join(parts) + '.html'
            return url + ('#' + anchor if anchor else '')
    return None


def _resolve_ansible_docs(app, env, node, contnode):
    if node.get('refdomain') != 'std' or node.get('reftype') not in ('ref', 'envvar'):
        return None
    url = _ansible_docs_url(node.get('reftype'), node.get('reftarget', ''))
    if url is None:
        return None
    from docutils import nodes
    ref = nodes.reference('', '', internal=False, refuri=url)
    ref += contnode if contnode is not None else nodes.literal(text=node['reftarget'])
    return ref


def setup(app):
    app.connect('missing-reference', _resolve_ansible_docs)
