"""placeholder"""
def agent_configs(settings):
    return {}
